#include "http/response_head.hpp"

#include <boost/beast/http/status.hpp>

#include <charconv>

namespace serenade::http {

namespace {

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

bool owned_by_framing(std::string_view name, const body_framing& framing) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
         (framing.close && iequals(name, "Connection"));
}

// True when a later entry of `headers` has the same name: the last one wins.
bool replaced_later(const header_list& headers, std::size_t index) {
  for (std::size_t later = index + 1; later < headers.size(); ++later) {
    if (iequals(headers[later].first, headers[index].first)) return true;
  }
  return false;
}

}  // namespace

bool status_allows_body(unsigned status) { return status >= 200 && status != 204 && status != 304; }

void write_response_head(std::string& out, unsigned status, const header_list& headers, const body_framing& framing) {
  out.clear();
  out += "HTTP/1.1 ";
  append_number(out, status);
  out += ' ';
  const auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
  bool named_server = false;
  bool named_sniffing = false;
  for (const auto& header : headers) {
    named_server = named_server || iequals(header.first, "Server");
    named_sniffing = named_sniffing || iequals(header.first, "X-Content-Type-Options");
  }
  if (!named_server) out += "Server: serenade\r\n";
  // No answer of ours may be read as another type than it says (an MP3 or a JSON detail taken for HTML).
  if (!named_sniffing) out += "X-Content-Type-Options: nosniff\r\n";
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = headers[i];
    if (owned_by_framing(name, framing) || replaced_later(headers, i)) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (framing.close) out += "Connection: close\r\n";
  if (framing.chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  } else if (framing.content_length) {
    out += "Content-Length: ";
    append_number(out, *framing.content_length);
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace serenade::http
