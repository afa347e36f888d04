#include "api/download_name.hpp"

#include "core/utf8.hpp"

#include <cstdint>
#include <vector>

namespace serenade::api {

namespace {

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
  for (const char32_t c : utf8::decode(name)) {
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
  for (const char32_t c : kept) utf8::append(out, c);
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
  const auto code_points = utf8::decode(file_name);
  std::string ascii;
  std::string well_formed;  // filename* promises UTF-8
  for (const char32_t c : code_points) {
    utf8::append(well_formed, c);
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
