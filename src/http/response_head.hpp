#pragma once
// The status line and header block of a response, written by hand into a buffer the connection reuses: no
// per-request field container, no allocation once the buffer has grown to a typical header's size.
#include "http/message.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace serenade::http {

// How the body is delimited. The server owns these headers: a handler's own Content-Length,
// Transfer-Encoding and (when closing) Connection are left out in favour of these.
struct body_framing {
  std::optional<std::uint64_t> content_length;  // none: no Content-Length line (1xx, 204, 304 or chunked)
  bool chunked = false;                          // Transfer-Encoding: chunked
  bool close = false;                            // Connection: close (HTTP/1.1 keeps alive otherwise)
};

// Replaces `out` with "HTTP/1.1 <status> <reason>\r\n", "Server: serenade" unless a header names another,
// "X-Content-Type-Options: nosniff" unless a header sets it, the headers, the framing headers and the blank line.
// A later header with the same name (case-insensitive) as an earlier one replaces it, as a field map would.
void write_response_head(std::string& out, unsigned status, const header_list& headers, const body_framing& framing);

// Whether a response with this status may carry a body (and so a Content-Length): not 1xx, 204 or 304.
bool status_allows_body(unsigned status);

}  // namespace serenade::http
