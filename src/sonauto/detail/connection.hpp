#pragma once
// Internal to src/sonauto (included by its .cpp files only): Beast types stay out of the public headers.
//
// One upstream connection: plain TCP for the simulator's http:// bases, TLS over TCP for https://. The stages up to a
// usable connection — resolve → connect → tls_handshake — live in open_connection() and nowhere else, so a
// keep-alive pool can later be put in front of it without touching the request code.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "sonauto/failure.hpp"

namespace serenade::sonauto::detail {

// A base URL, parsed once when the client is built.
struct endpoint {
  bool tls = false;
  std::string host;         // for the resolver and the certificate check: a name or an IP address without brackets
  bool host_is_name = false;  // SNI is sent for names only (RFC 6066 forbids IP literals)
  std::string port;         // explicit, or "443" / "80"
  std::string host_header;  // value of Host: ":port" only when the port is not the scheme's default
  std::string path;         // base path without a trailing '/', e.g. "/v1" or ""
};

// Throws std::invalid_argument naming `option` for anything that is not http(s)://host[:port][/path].
endpoint parse_base(std::string_view url, std::string_view option);

// An absolute http(s) URL of one resource (a song_paths entry, a redirect's target): where to connect, and the
// request target — the path ("/" when empty) and query exactly as encoded in the URL; a fragment is dropped.
struct resource {
  endpoint where;           // `path` is left empty: the whole target is in `target`
  std::string target;
};

// Throws std::invalid_argument naming `option` for anything that is not http(s)://host[:port][/path][?query].
resource parse_resource(std::string_view url, std::string_view option);

// RFC 3986 section 5.2: `reference` (a redirect's Location: absolute, network-path, absolute-path or relative)
// resolved against the absolute `base`, with dot segments removed and all percent-encoding left exactly as written.
// Empty when either does not parse.
std::optional<std::string> resolve_reference(std::string_view base, std::string_view reference);

// Same scheme, host (names compared without regard to case) and port: the origin that may see the API key.
bool same_origin(const endpoint& a, const endpoint& b);

class connection {
 public:
  using plain_stream = boost::beast::tcp_stream;
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  explicit connection(const boost::asio::any_io_executor& executor);
  connection(const boost::asio::any_io_executor& executor, boost::asio::ssl::context& tls);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // The TCP layer, for expiries and connect.
  plain_stream& tcp();
  bool is_tls() const { return stream_.index() == 1; }
  tls_stream& tls() { return std::get<1>(stream_); }

  // Calls f(stream) with the plain or the TLS stream; f returns the same awaitable type for both.
  template <class F>
  decltype(auto) with_stream(F&& f) {
    return std::visit(std::forward<F>(f), stream_);
  }

  // Cancels pending operations (they complete with operation_aborted) and closes the socket. Safe to call twice.
  void close();

 private:
  std::variant<plain_stream, tls_stream> stream_;
};

// resolve → connect → tls_handshake (https only), all within `budget`, on the calling coroutine's executor.
boost::asio::awaitable<outcome<std::unique_ptr<connection>>> open_connection(const endpoint& where,
                                                                             boost::asio::ssl::context& tls,
                                                                             std::chrono::seconds budget);

// "timeout after 30s" — the wording every timeout failure uses.
std::string timeout_text(std::chrono::seconds limit);

// Timeouts and cancellations are recognised by name first; anything else becomes `otherwise` with
// `what + ": " + ec.message()`.
failure stage_failure(const boost::beast::error_code& ec, std::string_view stage, failure_kind otherwise,
                      std::string_view what, std::chrono::seconds limit);

}  // namespace serenade::sonauto::detail
