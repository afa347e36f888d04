#include "api/download_name.hpp"

#include <cstdint>
#include <vector>

namespace serenade::api {

namespace {

constexpr char32_t replacement_character = 0xFFFD;

// Code points of `text`; a byte that does not start a well-formed sequence becomes U+FFFD.
std::vector<char32_t> decode(std::string_view text) {
  std::vector<char32_t> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    char32_t code = length == 1 ? lead : length == 2 ? lead & 0x1F : length == 3 ? lead & 0x0F : lead & 0x07;
    bool well_formed = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; well_formed && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      well_formed = (next & 0xC0) == 0x80;
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    well_formed = well_formed && code >= smallest[length] && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF);
    out.push_back(well_formed ? code : replacement_character);
    i += well_formed ? length : 1;
  }
  return out;
}

void append_utf8(std::string& out, char32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }
// Marks and overrides that change the order text is shown in, and invisible separators.
bool is_direction_or_invisible(char32_t c) {
  return c == 0x200B || c == 0x200C || c == 0x200D || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029 || c == 0x061C || c == 0xFEFF;
}
// Characters that a file system or the header's quoting would take for something else.
bool is_path_or_quote(char32_t c) {
  return c == '/' || c == '\\' || c == '"' || c == ':' || c == '*' || c == '?' || c == '<' || c == '>' || c == '|';
}

// RFC 8187 attr-char: what filename* may carry without percent-encoding.
bool is_attr_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '!' || c == '#' ||
         c == '$' || c == '&' || c == '+' || c == '-' || c == '.' || c == '^' || c == '_' || c == '`' || c == '|' ||
         c == '~';
}

// The fallback's stand-in for a character outside printable ASCII: dashes stay dashes, the rest '_'.
char ascii_stand_in(char32_t c) {
  if (c == 0x2010 || c == 0x2011 || c == 0x2012 || c == 0x2013 || c == 0x2014 || c == 0x2015 || c == 0x2212) return '-';
  return '_';
}

}  // namespace

std::string shown_name(std::string_view name) {
  std::vector<char32_t> kept;
  bool space_pending = false;
  for (const char32_t c : decode(name)) {
    if (is_direction_or_invisible(c)) continue;
    if (is_control(c) || c == ' ' || c == 0x00A0 || c == 0x3000) {
      space_pending = !kept.empty();
      continue;
    }
    if (space_pending) kept.push_back(' ');
    space_pending = false;
    kept.push_back(is_path_or_quote(c) ? U'_' : c);
  }
  if (kept.size() > shown_name_limit) {
    kept.resize(shown_name_limit - 1);
    while (!kept.empty() && kept.back() == ' ') kept.pop_back();
    kept.push_back(U'…');
  }
  std::string out;
  for (const char32_t c : kept) append_utf8(out, c);
  return out;
}

std::string download_file_name(std::string_view sender, std::string_view recipient) {
  auto to = shown_name(recipient);
  auto from = shown_name(sender);
  if (to.empty()) to = "you";
  if (from.empty()) from = "someone";
  return "For " + to + " \u2014 from " + from + ".mp3";
}

std::string attachment_disposition(std::string_view file_name) {
  const auto code_points = decode(file_name);
  std::string ascii;
  std::string well_formed;  // filename* promises UTF-8
  for (const char32_t c : code_points) {
    append_utf8(well_formed, c);
    const bool printable_ascii = c >= 0x20 && c < 0x7F;
    // '%' too: some clients decode percent escapes even in the plain parameter.
    const bool safe = printable_ascii && c != '"' && c != '\\' && c != '%' && c != '/';
    ascii += safe ? static_cast<char>(c) : ascii_stand_in(c);
  }
  static constexpr char hex_digits[] = "0123456789ABCDEF";
  std::string encoded;
  for (const char byte : well_formed) {
    const auto c = static_cast<unsigned char>(byte);
    if (is_attr_char(c)) {
      encoded += byte;
    } else {
      encoded += '%';
      encoded += hex_digits[c >> 4];
      encoded += hex_digits[c & 0xF];
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

}  // namespace serenade::api
