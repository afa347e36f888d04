#include "archive/write_all.hpp"

#include <unistd.h>

#include <cerrno>

namespace serenade::archive {

write_result write_all(int fd, std::span<const char> bytes) {
  write_result result;
  while (result.written < bytes.size()) {
    const auto written = ::write(fd, bytes.data() + result.written, bytes.size() - result.written);
    if (written < 0) {
      if (errno == EINTR) continue;
      result.error = {errno, std::generic_category()};
      break;
    }
    result.written += static_cast<std::size_t>(written);
  }
  return result;
}

}  // namespace serenade::archive
