// People's names where Serenade writes them for others to read: escaped into a share link's preview tags
// (card/html_escape, card/preview) and into a download's file name and Content-Disposition (api/download_name).
// Names are checked by the form, but these writers take any bytes and must stay safe on their own.
//
// Input: the sender's name, a 0 byte, the recipient's name (no 0 byte: both names are the whole input).
#include "api/download_name.hpp"
#include "card/html_escape.hpp"
#include "card/preview.hpp"
#include "check.hpp"
#include "core/utf8.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace utf8 = serenade::utf8;

bool is_hex_upper(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

// Escaped text: well-formed UTF-8, no character that could end an attribute or open a tag, no control character.
void check_escaped(std::string_view text) {
  FUZZ_CHECK(utf8::is_valid(text));
  for (const char32_t c : utf8::decode(text)) {
    FUZZ_CHECK(c != '<' && c != '>' && c != '"' && c != '\'');
    FUZZ_CHECK(c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f));
  }
}

// Each line one tag: `  <meta property|name="…" content="…">`, its values escaped.
void check_tags(const std::string& tags) {
  std::size_t line_start = 0;
  while (line_start < tags.size()) {
    const auto line_end = tags.find('\n', line_start);
    FUZZ_CHECK(line_end != std::string::npos);
    const std::string_view line(tags.data() + line_start, line_end - line_start);
    FUZZ_CHECK(line.starts_with("  <meta ") && line.ends_with("\">"));
    const auto content = line.find(" content=\"");
    FUZZ_CHECK(content != std::string_view::npos);
    check_escaped(line.substr(content + 10, line.size() - content - 12));
    line_start = line_end + 1;
  }
}

// `attachment; filename="<ASCII>"; filename*=UTF-8''<attr-chars and %XX>`.
void check_disposition(const std::string& header) {
  constexpr std::string_view head = "attachment; filename=\"";
  FUZZ_CHECK(header.starts_with(head));
  const auto ascii_end = header.find('"', head.size());
  FUZZ_CHECK(ascii_end != std::string::npos);
  for (std::size_t i = head.size(); i < ascii_end; ++i) {
    const char c = header[i];
    FUZZ_CHECK(c >= 0x20 && c < 0x7f && c != '\\' && c != '%' && c != '/');
  }
  constexpr std::string_view star = "\"; filename*=UTF-8''";
  FUZZ_CHECK(header.compare(ascii_end, star.size(), star) == 0);
  std::string decoded;
  for (std::size_t i = ascii_end + star.size(); i < header.size(); ++i) {
    const char c = header[i];
    if (c == '%') {
      FUZZ_CHECK(i + 2 < header.size() && is_hex_upper(header[i + 1]) && is_hex_upper(header[i + 2]));
      decoded += static_cast<char>(std::stoi(header.substr(i + 1, 2), nullptr, 16));
      i += 2;
      continue;
    }
    FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos);
    decoded += c;
  }
  // The UTF-8 name: well formed, and nothing that splits a header, reorders the name or names a folder.
  FUZZ_CHECK(utf8::is_valid(decoded));
  for (const char32_t c : utf8::decode(decoded)) {
    FUZZ_CHECK(c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f));
    FUZZ_CHECK(c != '/' && c != '\\' && c != '"');
    FUZZ_CHECK(!(c >= 0x202a && c <= 0x202e) && !(c >= 0x2066 && c <= 0x2069) && c != 0x200e && c != 0x200f);
  }
  FUZZ_CHECK(decoded.ends_with(".mp3"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto split = input.find('\0');
  const auto sender = input.substr(0, split);
  const auto recipient = split == std::string_view::npos ? std::string_view() : input.substr(split + 1);

  check_escaped(serenade::card::escape_html(input));
  const serenade::card::song_preview song{std::string(sender), std::string(recipient), std::chrono::milliseconds(size)};
  check_tags(serenade::card::preview_head_tags(song, {"/s/x", "/s/x/card.png?v=v1", "/api/stream/x"}));

  const auto file_name = serenade::api::download_file_name(sender, recipient);
  FUZZ_CHECK(utf8::is_valid(file_name));
  check_disposition(serenade::api::attachment_disposition(file_name));
  for (const auto name : {sender, recipient}) {
    const auto shown = serenade::api::shown_name(name);
    FUZZ_CHECK(utf8::is_valid(shown));
    FUZZ_CHECK(utf8::code_points(shown).value_or(0) <= serenade::api::shown_name_limit);
  }
  return 0;
}
