#include "archive/final_copy.hpp"

#include "archive/paths.hpp"
#include "archive/song_check.hpp"
#include "archive/write_all.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace serenade::archive {

final_copy::final_copy(const std::string& archive_dir, const std::string& session_id)
    : archive_dir_(archive_dir),
      temporary_path_(download_path(archive_dir, session_id)),
      final_path_(archive::final_path(archive_dir, session_id)) {
  fd_ = ::open(temporary_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + temporary_path_);
}

final_copy::~final_copy() {
  if (fd_ >= 0) ::close(fd_);
  if (!in_place_) ::unlink(temporary_path_.c_str());
}

std::error_code final_copy::write(std::span<const char> piece) { return write_all(fd_, piece).error; }

std::string final_copy::make_durable_and_check() {
  const bool synced = ::fsync(fd_) == 0;
  const std::string sync_error = synced ? "" : std::strerror(errno);
  ::close(fd_);
  fd_ = -1;
  if (!synced) return "fsync: " + sync_error;
  const auto check = check_song_file(temporary_path_);
  if (!check.facts) return "not a complete MP3: " + check.problem;
  return {};
}

std::string final_copy::put_in_place() {
  if (::rename(temporary_path_.c_str(), final_path_.c_str()) != 0 || !sync_directory(archive_dir_)) {
    return std::strerror(errno);
  }
  in_place_ = true;
  return {};
}

}  // namespace serenade::archive
