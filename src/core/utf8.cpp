#include "core/utf8.hpp"

namespace serenade::utf8 {

std::optional<std::size_t> code_points(std::string_view text) {
  std::size_t count = 0;
  std::size_t i = 0;
  const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
  while (i < text.size()) {
    unsigned char lead = byte(i);
    std::size_t length = 0;
    char32_t min = 0;
    char32_t cp = 0;
    if (lead < 0x80) {
      ++i;
      ++count;
      continue;
    } else if ((lead & 0xe0) == 0xc0) {
      length = 2, min = 0x80, cp = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3, min = 0x800, cp = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4, min = 0x10000, cp = lead & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + length > text.size()) return std::nullopt;
    for (std::size_t k = 1; k < length; ++k) {
      unsigned char next = byte(i + k);
      if ((next & 0xc0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (next & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
    i += length;
    ++count;
  }
  return count;
}

bool is_valid(std::string_view text) { return code_points(text).has_value(); }

}  // namespace serenade::utf8
