#include "archive/paths.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace serenade::archive {

std::string capture_path(const std::string& dir, const std::string& id) { return dir + "/" + id + ".part"; }
std::string live_copy_path(const std::string& dir, const std::string& id) { return dir + "/" + id + ".live.mp3"; }
std::string download_path(const std::string& dir, const std::string& id) { return dir + "/" + id + ".mp3.tmp"; }
std::string final_path(const std::string& dir, const std::string& id) { return dir + "/" + id + ".mp3"; }

bool sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace serenade::archive
