#pragma once
// A song's final copy: the download goes to a temporary file of its own (archive/once_file.hpp), which is fsynced,
// checked (MP3 frames from the first byte to the last) and only then linked to `<id>.mp3`, so a partial or corrupt
// file never carries the final name, and on a shared archive folder a final copy is written once: an instance that
// finds one in place keeps it. Blocking file calls: run them where a slow disk holds no I/O thread.
#include "archive/once_file.hpp"

#include <span>
#include <string>
#include <system_error>

namespace serenade::archive {

class final_copy {
 public:
  // Starts an empty temporary file. Throws std::system_error when it cannot be opened.
  final_copy(const std::string& archive_dir, const std::string& session_id);

  // Appends one piece of the download (a sonauto::body_sink).
  std::error_code write(std::span<const char> piece);
  // fsync, then the MP3 check. Empty when the copy may be put in place, else why not.
  std::string make_durable_and_check();
  // The link into place and the folder's sync. std::errc::file_exists: a final copy was already in place (written
  // by another instance or an earlier run), and it stays.
  std::error_code put_in_place();

  const std::string& final_path() const { return final_path_; }

 private:
  once_file file_;
  std::string final_path_;
};

}  // namespace serenade::archive
