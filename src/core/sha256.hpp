#pragma once
// SHA-256 in lowercase hex: a song's identity (its ETag, its archive record) and checks of derived files.
#include <span>
#include <string>
#include <string_view>

namespace serenade::core {

std::string sha256_hex(std::span<const unsigned char> bytes);
inline std::string sha256_hex(std::string_view bytes) {
  return sha256_hex({reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()});
}

}  // namespace serenade::core
