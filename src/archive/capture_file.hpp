#pragma once
// A song's live capture on disk: `<id>.part` in this instance's capture folder while Sonauto's stream is appended
// to it, kept as `<id>.live.mp3` in the archive folder once the stream ended cleanly. One writer appends; listeners
// read it at their own offsets through read_fd() (sendfile). Blocking file calls: run them where a slow disk holds
// no I/O thread.
#include "archive/write_all.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>

namespace serenade::archive {

class capture_file {
 public:
  // Opens the capture, or reopens what an earlier run left (resumed_size() bytes, to be checked against
  // Sonauto's replay). Throws std::system_error when the file cannot be opened.
  capture_file(const std::string& capture_dir, const std::string& archive_dir, const std::string& session_id);
  ~capture_file();
  capture_file(const capture_file&) = delete;
  capture_file& operator=(const capture_file&) = delete;

  std::uint64_t resumed_size() const { return resumed_size_; }
  int read_fd() const { return read_fd_; }

  // How much reached the file, also when it failed part way.
  write_result append(std::span<const char> bytes);

  // Whether `bytes` are what the file holds from `offset` (a replay checked against the capture).
  bool holds(std::uint64_t offset, std::span<const char> bytes) const;

  // Cuts the capture to its first `size` bytes (0: to start it again); appends go on from there.
  std::error_code truncate(std::uint64_t size = 0);

  // fsync, then the complete capture becomes the archive's live copy, which survives a crash and which every
  // instance sharing the archive folder serves: linked when both folders are on one file system, else copied
  // (archive/once_file.hpp). Written once: when another instance kept its capture of the song first, theirs stays.
  // The capture's own name goes either way; read_fd() still reads it.
  std::error_code keep_as_live_copy();

 private:
  // The live copy's bytes written anew into the archive folder, which is on another file system.
  std::error_code copy_to_archive() const;

  std::string archive_dir_;
  std::string session_id_;
  std::string path_;
  std::string live_copy_path_;
  int write_fd_ = -1;
  int read_fd_ = -1;
  std::uint64_t resumed_size_ = 0;
};

}  // namespace serenade::archive
