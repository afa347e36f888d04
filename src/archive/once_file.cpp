#include "archive/once_file.hpp"

#include "archive/paths.hpp"
#include "archive/write_all.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace serenade::archive {

namespace {
std::error_code last_error() { return {errno, std::generic_category()}; }
}  // namespace

std::error_code link_unless_present(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return {};
  if (errno != EPERM && errno != EOPNOTSUPP) return last_error();
  return ::rename(from.c_str(), to.c_str()) == 0 ? std::error_code{} : last_error();
}

once_file::once_file(std::string dir, std::string_view stem)
    : dir_(std::move(dir)), temporary_path_(temporary_path_for(dir_, stem)) {
  // O_EXCL: the random part makes a clash all but impossible, and this makes it harmless.
  fd_ = ::open(temporary_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::system_error(last_error(), "cannot open " + temporary_path_);
}

once_file::~once_file() {
  if (fd_ >= 0) ::close(fd_);
  ::unlink(temporary_path_.c_str());
}

std::error_code once_file::write(std::span<const char> bytes) { return write_all(fd_, bytes).error; }

std::error_code once_file::make_durable() {
  const auto synced = ::fsync(fd_) == 0 ? std::error_code{} : last_error();
  ::close(fd_);
  fd_ = -1;
  return synced;
}

std::error_code once_file::put_in_place(const std::string& path) {
  if (const auto error = link_unless_present(temporary_path_, path)) return error;
  return sync_directory(dir_) ? std::error_code{} : last_error();
}

}  // namespace serenade::archive
