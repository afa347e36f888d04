#include "sim/webhook_sender.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <variant>

namespace serenade::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto as_values = asio::as_tuple(asio::use_awaitable);

struct target {
  bool tls = false;
  bool host_is_name = false;  // SNI is sent for names only (RFC 6066 forbids IP literals)
  std::string host;
  std::string port;
  std::string host_header;  // ":port" only when it is not the scheme's default
  std::string path;         // path and query, "/" at least
};

std::variant<target, std::string> parse_target(const std::string& url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return "not an absolute URL";
  const auto& u = *parsed;
  if (u.scheme() != "http" && u.scheme() != "https") return "only http:// and https:// webhook URLs are supported";
  if (!u.has_authority() || u.host().empty()) return "no host in the URL";
  target t;
  t.tls = u.scheme() == "https";
  t.host_is_name = u.host_type() == boost::urls::host_type::name;
  t.host = u.host_address();  // brackets of an IPv6 literal removed, as the resolver wants
  const std::string default_port = t.tls ? "443" : "80";
  t.port = u.has_port() ? std::string(u.port()) : default_port;
  t.host_header = std::string(u.encoded_host_and_port());
  if (t.port == default_port) t.host_header = std::string(u.encoded_host());
  t.path = std::string(u.encoded_path());
  if (t.path.empty()) t.path = "/";
  if (u.has_query()) t.path += "?" + std::string(u.encoded_query());
  return t;
}

webhook_result failed(std::string why) {
  webhook_result r;
  r.error = std::move(why);
  return r;
}

webhook_result answered(unsigned status) {
  webhook_result r;
  r.delivered = true;
  r.status = status;
  return r;
}

// One request and its answer's status on a connected stream, plain or TLS.
template <class Stream>
asio::awaitable<webhook_result> post_on(Stream& stream, const target& where, const std::string& body) {
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, where.path, 11};
  req.set(bhttp::field::host, where.host_header);
  req.set(bhttp::field::user_agent, "serenade-simulator");
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::connection, "close");
  req.body() = body;
  req.prepare_payload();
  auto [write_ec, written] = co_await bhttp::async_write(stream, req, as_values);
  if (write_ec) co_return failed("cannot send: " + write_ec.message());

  // Only the status matters; the body is read (and dropped) so the receiver is not reset mid-answer.
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024);
  auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, parser, as_values);
  if (read_ec) co_return failed("no answer: " + read_ec.message());
  co_return answered(parser.get().result_int());
}

asio::awaitable<webhook_result> exchange(const target& where, const std::string& body,
                                         std::chrono::milliseconds timeout, asio::ssl::context& tls) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [resolve_ec, addresses] = co_await resolver.async_resolve(where.host, where.port, as_values);
  if (resolve_ec) co_return failed("cannot resolve " + where.host + ": " + resolve_ec.message());
  beast::tcp_stream stream(executor);
  stream.expires_after(timeout);  // connect, handshake, write and read; the caller's deadline also covers the lookup
  auto [connect_ec, peer] = co_await stream.async_connect(addresses, as_values);
  if (connect_ec) co_return failed("cannot connect: " + connect_ec.message());
  beast::error_code ignored;
  if (!where.tls) {
    auto result = co_await post_on(stream, where, body);
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return result;
  }
  beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), tls);
  if (where.host_is_name && SSL_set_tlsext_host_name(secure.native_handle(), where.host.c_str()) != 1) {
    co_return failed("cannot set the TLS server name");
  }
  secure.set_verify_mode(asio::ssl::verify_peer);
  secure.set_verify_callback(asio::ssl::host_name_verification(where.host));
  auto [handshake_ec] = co_await secure.async_handshake(asio::ssl::stream_base::client, as_values);
  if (handshake_ec) co_return failed("TLS handshake: " + handshake_ec.message());
  auto result = co_await post_on(secure, where, body);
  // close_notify is a courtesy here: the answer is in, and a receiver may close without its own.
  [[maybe_unused]] auto [shutdown_ec] = co_await secure.async_shutdown(as_values);
  co_return result;
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_webhook_tls(const std::string& ca_file) {
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  tls->set_default_verify_paths();
  if (!ca_file.empty()) tls->load_verify_file(ca_file);
  tls->set_verify_mode(asio::ssl::verify_peer);
  return tls;
}

asio::awaitable<webhook_result> post_webhook(std::string url, std::string body, std::chrono::milliseconds timeout,
                                             asio::ssl::context& tls) {
  auto where = parse_target(url);
  if (auto* problem = std::get_if<std::string>(&where)) co_return failed(*problem);
  asio::steady_timer deadline(co_await asio::this_coro::executor, timeout);
  // Whichever ends first cancels the other: the exchange's socket is closed when the deadline wins.
  auto outcome = co_await (exchange(std::get<target>(where), body, timeout, tls) || deadline.async_wait(as_values));
  if (outcome.index() == 0) co_return std::get<0>(std::move(outcome));
  co_return failed("timed out after " + std::to_string(timeout.count()) + " ms");
}

}  // namespace serenade::sim
