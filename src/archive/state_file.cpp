#include "archive/state_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace serenade::archive {

std::string load_or_create_secret(const std::string& path, std::string_view what,
                                  const std::function<bool(std::string_view)>& valid,
                                  const std::function<std::string()>& generate) {
  if (std::ifstream in(path); in) {
    std::string secret;
    std::getline(in, secret);
    if (valid(secret)) return secret;
  }
  const auto secret = generate();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, secret.data(), secret.size()) != static_cast<ssize_t>(secret.size()) || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot persist the " + std::string(what) + " in " + path);
  }
  ::close(fd);
  return secret;
}

}  // namespace serenade::archive
