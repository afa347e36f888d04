#include "archive/paths.hpp"

#include "core/ids.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace serenade::archive {

namespace {
std::string path_of(const std::string& dir, std::string_view stem, std::string_view suffix) {
  std::string path = dir + "/";
  path += stem;
  path += suffix;
  return path;
}
}  // namespace

std::string capture_path(const std::string& dir, const std::string& id) { return path_of(dir, id, capture_suffix); }
std::string live_copy_path(const std::string& dir, const std::string& id) {
  return path_of(dir, id, live_copy_suffix);
}
std::string final_path(const std::string& dir, const std::string& id) { return path_of(dir, id, final_suffix); }

std::string download_tag_path(const std::string& dir, const std::string& id) {
  return path_of(dir, id, download_tag_suffix);
}

std::string temporary_path_for(const std::string& dir, std::string_view stem) {
  std::string writer = "." + ids::random_token();
  writer += temporary_suffix;
  return path_of(dir, stem, writer);
}

bool sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace serenade::archive
