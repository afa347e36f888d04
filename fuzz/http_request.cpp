// The server's request parser under the server's default header and body limits, fed the way a keep-alive
// connection feeds it (http/server.cpp, read_request): one `request` reused from one request to the next, and
// bytes of a pipelined request left for the next parser.
//
// Input: one byte choosing the size of each read from the socket (0: everything at once), then the bytes the
// client sends. The same bytes are also parsed straight from libFuzzer's buffer, whose end is the end of its
// allocation, so a read beyond the input is an ASan report rather than a look into spare buffer capacity.
#include "check.hpp"
#include "http/detail/request_parser.hpp"
#include "http/server.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace {

namespace beast = boost::beast;
using serenade::http::request;
using serenade::http::server_options;
using serenade::http::detail::request_parser;

// Far beyond what a fuzz input holds; a bound so a parser that never finishes cannot loop forever.
constexpr int max_requests_per_connection = 1000;

const server_options limits;

void check_complete_request(const request& req) {
  FUZZ_CHECK(!req.method.empty());
  FUZZ_CHECK(!req.target.empty());
  FUZZ_CHECK(req.body.size() <= limits.max_body_bytes);
  FUZZ_CHECK(req.path.find('?') == std::string::npos);
  if (req.target.size() == req.path.size()) {
    FUZZ_CHECK(req.target == req.path && req.query.empty());
  } else {
    FUZZ_CHECK(req.target == req.path + "?" + req.query);
  }
  std::size_t header_bytes = 0;
  for (const auto& [name, value] : req.headers) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(name.find_first_of(":\r\n") == std::string::npos);
    FUZZ_CHECK(value.find_first_of("\r\n") == std::string::npos);
    header_bytes += name.size() + value.size();
  }
  FUZZ_CHECK(header_bytes <= limits.max_header_bytes);
  FUZZ_CHECK(req.remote_address == "192.0.2.1");
}

// As the server reads: into a bounded flat_buffer, `read_size` bytes at a time, the parser taking what it can.
void parse_as_the_server_reads(std::string_view wire, std::size_t read_size) {
  request req;
  req.remote_address = "192.0.2.1";
  beast::flat_buffer buffer(limits.max_header_bytes + limits.max_body_bytes + 64 * 1024);
  std::size_t sent = 0;
  for (int n = 0; n < max_requests_per_connection; ++n) {
    request_parser parser(req, static_cast<std::uint32_t>(limits.max_header_bytes), limits.max_body_bytes);
    bool complete = false;
    for (;;) {
      if (buffer.size() != 0) {
        beast::error_code ec;
        const auto used = parser.put(buffer.data(), ec);
        FUZZ_CHECK(used <= buffer.size());
        buffer.consume(used);
        if (ec && ec != beast::http::error::need_more) break;
        if (parser.is_done()) {
          complete = true;
          break;
        }
        if (!ec && used != 0 && buffer.size() != 0) continue;
      }
      if (sent == wire.size()) break;  // the client has sent everything and waits
      // The server's buffer is sized so the parser refuses a header or body over its limit before the buffer
      // fills; a full buffer would leave the connection waiting for bytes it can no longer read.
      FUZZ_CHECK(buffer.size() < buffer.max_size());
      const auto room = beast::read_size(buffer, 65536);
      const auto got = std::min({room, read_size, wire.size() - sent});
      std::memcpy(buffer.prepare(got).data(), wire.data() + sent, got);
      buffer.commit(got);
      sent += got;
    }
    if (!complete) return;
    check_complete_request(req);
    if (!req.keep_alive) return;
  }
}

// Every byte straight from the input, no copy: whatever the parser reads lies within the input's allocation.
void parse_in_place(std::string_view wire) {
  request req;
  req.remote_address = "192.0.2.1";
  for (int n = 0; n < max_requests_per_connection && !wire.empty(); ++n) {
    request_parser parser(req, static_cast<std::uint32_t>(limits.max_header_bytes), limits.max_body_bytes);
    bool complete = false;
    while (!wire.empty()) {
      beast::error_code ec;
      const auto used = parser.put(boost::asio::const_buffer(wire.data(), wire.size()), ec);
      FUZZ_CHECK(used <= wire.size());
      wire.remove_prefix(used);
      if (ec && ec != beast::http::error::need_more) return;
      if (parser.is_done()) {
        complete = true;
        break;
      }
      if (ec || used == 0) return;  // needs bytes the client never sends
    }
    if (!complete) return;
    check_complete_request(req);
    if (!req.keep_alive) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t read_size = data[0] == 0 ? size : data[0];
  const std::string_view wire(reinterpret_cast<const char*>(data + 1), size - 1);
  parse_in_place(wire);
  parse_as_the_server_reads(wire, read_size);
  return 0;
}
