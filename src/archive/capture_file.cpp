#include "archive/capture_file.hpp"

#include "archive/once_file.hpp"
#include "archive/paths.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace serenade::archive {

namespace {
std::error_code last_error() { return {errno, std::generic_category()}; }
}  // namespace

capture_file::capture_file(const std::string& capture_dir, const std::string& archive_dir,
                           const std::string& session_id)
    : archive_dir_(archive_dir),
      session_id_(session_id),
      path_(capture_path(capture_dir, session_id)),
      live_copy_path_(live_copy_path(archive_dir, session_id)) {
  write_fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (write_fd_ < 0) throw std::system_error(last_error(), "cannot open " + path_);
  read_fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (read_fd_ < 0) {
    const auto error = last_error();
    ::close(write_fd_);
    throw std::system_error(error, "cannot open " + path_);
  }
  struct stat info {};
  ::fstat(write_fd_, &info);
  resumed_size_ = static_cast<std::uint64_t>(info.st_size);
}

capture_file::~capture_file() {
  ::close(write_fd_);
  ::close(read_fd_);
}

write_result capture_file::append(std::span<const char> bytes) { return write_all(write_fd_, bytes); }

bool capture_file::holds(std::uint64_t offset, std::span<const char> bytes) const {
  std::array<char, 16 * 1024> stored{};
  while (!bytes.empty()) {
    const auto want = std::min(bytes.size(), stored.size());
    const auto got = ::pread(read_fd_, stored.data(), want, static_cast<off_t>(offset));
    if (got != static_cast<ssize_t>(want) || std::memcmp(stored.data(), bytes.data(), want) != 0) return false;
    offset += want;
    bytes = bytes.subspan(want);
  }
  return true;
}

std::error_code capture_file::truncate(std::uint64_t size) {
  return ::ftruncate(write_fd_, static_cast<off_t>(size)) == 0 ? std::error_code{} : last_error();
}

std::error_code capture_file::keep_as_live_copy() {
  if (::fsync(write_fd_) != 0) return last_error();
  auto kept = link_unless_present(path_, live_copy_path_);
  if (kept == std::errc::cross_device_link) kept = copy_to_archive();
  if (kept && kept != std::errc::file_exists) return kept;
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) return last_error();
  if (!sync_directory(archive_dir_)) return last_error();  // the new name itself must survive a crash
  return {};
}

std::error_code capture_file::copy_to_archive() const {
  // Another instance (the owner, when this one relayed the song) kept its capture first: the bytes need not cross
  // the network again.
  if (::access(live_copy_path_.c_str(), F_OK) == 0) return std::make_error_code(std::errc::file_exists);
  try {
    once_file copy(archive_dir_, session_id_);
    std::array<char, 64 * 1024> piece{};
    for (off_t offset = 0;;) {
      const auto got = ::pread(read_fd_, piece.data(), piece.size(), offset);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return last_error();
      if (got == 0) break;
      if (const auto error = copy.write({piece.data(), static_cast<std::size_t>(got)})) return error;
      offset += got;
    }
    if (const auto error = copy.make_durable()) return error;
    return copy.put_in_place(live_copy_path_);
  } catch (const std::system_error& e) {
    return e.code();
  }
}

}  // namespace serenade::archive
