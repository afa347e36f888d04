#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace serenade::core {

// Lowercase hexadecimal, two digits per byte (digests, ETags).
inline std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

}  // namespace serenade::core
