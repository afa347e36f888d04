#pragma once
// Every byte of `bytes` written to `fd` (regular files: a short write only means "write the rest").
#include <cstddef>
#include <span>
#include <system_error>

namespace serenade::archive {

struct write_result {
  std::size_t written = 0;  // bytes that reached the file, also when it failed part way
  std::error_code error;
};

write_result write_all(int fd, std::span<const char> bytes);

}  // namespace serenade::archive
