#include "card/html_escape.hpp"

#include "core/utf8.hpp"

namespace serenade::card {

namespace {

constexpr std::string_view replacement = "&#xFFFD;";

// The length of the UTF-8 sequence a lead byte announces; 0 for a byte that cannot start one.
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

void append_ascii(std::string& out, char c) {
  switch (c) {
    case '&': out += "&amp;"; return;
    case '<': out += "&lt;"; return;
    case '>': out += "&gt;"; return;
    case '"': out += "&quot;"; return;
    case '\'': out += "&#39;"; return;
    case '\t':
    case '\n':
    case '\r': out += ' '; return;
    default: break;
  }
  if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
    out += replacement;
  } else {
    out += c;
  }
}

}  // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  std::size_t at = 0;
  while (at < text.size()) {
    const auto lead = static_cast<unsigned char>(text[at]);
    const auto length = sequence_length(lead);
    if (length == 1) {
      append_ascii(out, text[at]);
      ++at;
      continue;
    }
    const auto sequence = text.substr(at, length);
    if (length == 0 || sequence.size() < length || !utf8::is_valid(sequence)) {
      out += replacement;
      ++at;
      continue;
    }
    const bool c1_control = lead == 0xc2 && static_cast<unsigned char>(sequence[1]) <= 0x9f;
    if (c1_control) {
      out += replacement;
    } else {
      out += sequence;
    }
    at += length;
  }
  return out;
}

}  // namespace serenade::card
