#pragma once
// UTF-8 as outside text brings it: checked, counted and decoded in one place.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace serenade::utf8 {

inline constexpr char32_t replacement_character = U'\uFFFD';

struct decoded {
  char32_t code_point;  // U+FFFD when not well formed
  std::size_t length;   // bytes consumed, at least 1
  bool well_formed;
};

// The code point that starts at text[at] (at < text.size()). A byte that starts no well-formed sequence (an
// overlong, a surrogate, above U+10FFFF, cut short) decodes as U+FFFD of length 1.
decoded decode_at(std::string_view text, std::size_t at);

// Every code point of `text`, each malformed byte as U+FFFD.
std::vector<char32_t> decode(std::string_view text);

// Appends the UTF-8 encoding of a code point.
void append(std::string& out, char32_t code_point);

// True when text is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid(std::string_view text);

// Number of code points in valid UTF-8 text; nullopt when the text is not valid UTF-8.
std::optional<std::size_t> code_points(std::string_view text);

}  // namespace serenade::utf8
