#pragma once
#include <cstddef>
#include <optional>
#include <string_view>

namespace serenade::utf8 {

// True when text is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid(std::string_view text);

// Number of code points in valid UTF-8 text; nullopt when the text is not valid UTF-8.
std::optional<std::size_t> code_points(std::string_view text);

}  // namespace serenade::utf8
