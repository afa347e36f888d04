#pragma once
// A song's final copy: the download goes to `<id>.mp3.tmp`, which is fsynced, checked (MP3 frames from the
// first byte to the last) and only then renamed to `<id>.mp3`, so a partial or corrupt file never carries the
// final name. Blocking file calls: run them where a slow disk holds no I/O thread.
#include <cstdint>
#include <span>
#include <string>
#include <system_error>

namespace serenade::archive {

class final_copy {
 public:
  // Starts an empty temporary file. Throws std::system_error when it cannot be opened.
  final_copy(const std::string& archive_dir, const std::string& session_id);
  // Removes the temporary file unless it was put in place.
  ~final_copy();
  final_copy(const final_copy&) = delete;
  final_copy& operator=(const final_copy&) = delete;

  // Appends one piece of the download (a sonauto::body_sink).
  std::error_code write(std::span<const char> piece);
  // fsync, then the MP3 check. Empty when the copy may be put in place, else why not.
  std::string make_durable_and_check();
  // The rename into place and the folder's sync. Empty on success, else the error.
  std::string put_in_place();

  const std::string& final_path() const { return final_path_; }

 private:
  std::string archive_dir_;
  std::string temporary_path_;
  std::string final_path_;
  int fd_ = -1;
  bool in_place_ = false;
};

}  // namespace serenade::archive
