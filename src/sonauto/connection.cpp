#include "sonauto/detail/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace serenade::sonauto::detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace urls = boost::urls;
using asio::ip::tcp;

namespace {

constexpr auto as_values = asio::as_tuple(asio::use_awaitable);

failure make_failure(failure_kind kind, std::string_view stage, std::string detail) {
  return failure{kind, std::string(stage), 0, std::move(detail)};
}

std::string where_text(const endpoint& where) { return where.host + ":" + where.port; }

// Stage: resolve. getaddrinfo runs on Asio's resolver thread and cannot be interrupted once started, but cancel()
// at the deadline does release this coroutine when the lookup is still queued behind a stuck one.
asio::awaitable<outcome<tcp::resolver::results_type>> resolve(const endpoint& where,
                                                               std::chrono::steady_clock::time_point deadline,
                                                               std::chrono::seconds budget) {
  auto executor = co_await asio::this_coro::executor;
  auto resolver = std::make_shared<tcp::resolver>(executor);
  asio::steady_timer deadline_timer(executor, deadline);
  deadline_timer.async_wait([weak = std::weak_ptr<tcp::resolver>(resolver)](const beast::error_code& ec) {
    if (ec) return;
    if (auto alive = weak.lock()) alive->cancel();
  });
  auto [ec, results] = co_await resolver->async_resolve(where.host, where.port, as_values);
  deadline_timer.cancel();
  if (ec == asio::error::operation_aborted && std::chrono::steady_clock::now() >= deadline) {
    co_return make_failure(failure_kind::timeout, stage::resolve, timeout_text(budget));
  }
  if (ec) co_return stage_failure(ec, stage::resolve, failure_kind::resolve, "cannot resolve " + where.host, budget);
  co_return std::move(results);
}

// Stage: connect (to the first resolved address that accepts).
asio::awaitable<outcome<bool>> connect(connection& conn, const endpoint& where,
                                       const tcp::resolver::results_type& addresses, std::chrono::seconds budget) {
  auto [ec, peer] = co_await conn.tcp().async_connect(addresses, as_values);
  if (ec) co_return stage_failure(ec, stage::connect, failure_kind::connect, "cannot connect to " + where_text(where),
                                  budget);
  co_return true;
}

// Stage: tls_handshake, verifying the peer's chain against the system store and its name against the host.
asio::awaitable<outcome<bool>> tls_handshake(connection& conn, const endpoint& where, std::chrono::seconds budget) {
  auto& stream = conn.tls();
  if (where.host_is_name && SSL_set_tlsext_host_name(stream.native_handle(), where.host.c_str()) != 1) {
    co_return make_failure(failure_kind::tls, stage::tls_handshake, "cannot set SNI for " + where.host);
  }
  stream.set_verify_mode(asio::ssl::verify_peer);
  // Asio's check, plus an error code that says why it refused, for the failure detail.
  stream.set_verify_callback([check = asio::ssl::host_name_verification(where.host)](
                                 bool preverified, asio::ssl::verify_context& context) {
    const bool ok = check(preverified, context);
    if (preverified && !ok) X509_STORE_CTX_set_error(context.native_handle(), X509_V_ERR_HOSTNAME_MISMATCH);
    return ok;
  });
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, as_values);
  if (!ec) co_return true;
  auto result = stage_failure(ec, stage::tls_handshake, failure_kind::tls,
                              "TLS handshake with " + where_text(where) + " failed", budget);
  if (result.kind != failure_kind::tls) co_return result;  // timeout or cancelled
  if (long verify = SSL_get_verify_result(stream.native_handle()); verify != X509_V_OK) {
    result.detail += " (";
    result.detail += X509_verify_cert_error_string(verify);
    result.detail += ")";
  }
  co_return result;
}

}  // namespace

namespace {

// The parts of an absolute http(s) URL that say where to connect; throws what `fail` makes.
template <class Fail>
endpoint origin_of(const urls::url_view& u, const Fail& fail) {
  endpoint out;
  if (u.scheme_id() == urls::scheme::https) {
    out.tls = true;
  } else if (u.scheme_id() != urls::scheme::http) {
    throw fail("must start with http:// or https://");
  }
  if (!u.has_authority() || u.encoded_host().empty()) throw fail("has no host");
  if (u.has_userinfo()) throw fail("must not contain user info");
  switch (u.host_type()) {
    case urls::host_type::name:
      out.host = u.host_name();
      out.host_is_name = true;
      break;
    case urls::host_type::ipv4:
      out.host = u.host_ipv4_address().to_string();
      break;
    case urls::host_type::ipv6:
      out.host = u.host_ipv6_address().to_string();
      break;
    default:
      throw fail("has an unsupported host");
  }
  const std::string default_port = out.tls ? "443" : "80";
  out.port = default_port;
  if (u.has_port() && !u.port().empty()) {
    // port_number() wraps values above 65535, so check the digits ourselves.
    const std::string digits = u.port();
    unsigned long number = digits.size() <= 5 ? std::stoul(digits) : 0;
    if (number == 0 || number > 65535) throw fail("has an invalid port");
    out.port = std::to_string(number);
  }
  out.host_header = std::string(u.encoded_host());
  if (out.port != default_port) out.host_header += ":" + out.port;
  return out;
}

auto failure_maker(std::string_view url, std::string_view option) {
  return [url, option](std::string_view why) {
    return std::invalid_argument(std::string(option) + " '" + std::string(url) + "' " + std::string(why));
  };
}

}  // namespace

endpoint parse_base(std::string_view url, std::string_view option) {
  const auto fail = failure_maker(url, option);
  auto parsed = urls::parse_absolute_uri(urls::string_view(url.data(), url.size()));
  if (!parsed) throw fail("is not an absolute URL");
  const urls::url_view& u = *parsed;
  if (u.has_query() || u.has_fragment()) throw fail("must not contain a query or fragment");
  endpoint out = origin_of(u, fail);
  out.path = std::string(u.encoded_path());
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  return out;
}

resource parse_resource(std::string_view url, std::string_view option) {
  const auto fail = failure_maker(url, option);
  // parse_uri, not parse_absolute_uri: a fragment is allowed (and never sent).
  auto parsed = urls::parse_uri(urls::string_view(url.data(), url.size()));
  if (!parsed) throw fail("is not an absolute URL");
  const urls::url_view& u = *parsed;
  resource out{origin_of(u, fail), std::string(u.encoded_path())};
  if (out.target.empty()) out.target = "/";  // with an authority, a path is empty or starts with '/'
  if (u.has_query()) {
    out.target += '?';
    out.target += u.encoded_query();
  }
  return out;
}

namespace {

// RFC 3986 section 5.2.4, on the encoded path.
std::string remove_dot_segments(std::string_view in) {
  std::string out;
  auto drop_last_segment = [&out] {
    const auto slash = out.rfind('/');
    out.erase(slash == std::string::npos ? 0 : slash);
  };
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../")) {
      in.remove_prefix(3);
      drop_last_segment();
    } else if (in == "/..") {
      in = "/";
      drop_last_segment();
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      const auto end = in.find('/', 1);
      const auto segment = in.substr(0, end);
      out += segment;
      in.remove_prefix(segment.size());
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> resolve_reference(std::string_view base_text, std::string_view reference) {
  auto base = urls::parse_uri(urls::string_view(base_text.data(), base_text.size()));
  auto ref = urls::parse_uri_reference(urls::string_view(reference.data(), reference.size()));
  if (!base || !ref) return std::nullopt;
  auto query_of = [](const urls::url_view& u) { return u.has_query() ? "?" + std::string(u.encoded_query()) : ""; };
  auto authority_of = [](const urls::url_view& u) {
    return u.has_authority() ? "//" + std::string(u.encoded_authority()) : "";
  };
  const std::string ref_path(ref->encoded_path());
  std::string out;
  if (ref->has_scheme()) {
    out = std::string(ref->scheme()) + ":" + authority_of(*ref) + remove_dot_segments(ref_path) + query_of(*ref);
  } else {
    out = std::string(base->scheme()) + ":";
    if (ref->has_authority()) {
      out += authority_of(*ref) + remove_dot_segments(ref_path) + query_of(*ref);
    } else {
      out += authority_of(*base);
      const std::string base_path(base->encoded_path());
      if (ref_path.empty()) {
        out += base_path + (ref->has_query() ? query_of(*ref) : query_of(*base));
      } else if (ref_path.front() == '/') {
        out += remove_dot_segments(ref_path) + query_of(*ref);
      } else {
        // Merge (section 5.2.3): the reference replaces the base path's last segment.
        const auto slash = base_path.rfind('/');
        std::string merged = base->has_authority() && base_path.empty()
                                 ? "/" + ref_path
                                 : base_path.substr(0, slash == std::string::npos ? 0 : slash + 1) + ref_path;
        out += remove_dot_segments(merged) + query_of(*ref);
      }
    }
  }
  if (ref->has_fragment()) out += "#" + std::string(ref->encoded_fragment());
  return out;
}

bool same_origin(const endpoint& a, const endpoint& b) {
  auto same_letter = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  };
  return a.tls == b.tls && a.port == b.port &&
         std::equal(a.host.begin(), a.host.end(), b.host.begin(), b.host.end(), same_letter);
}

connection::connection(const asio::any_io_executor& executor)
    : stream_(std::in_place_type<plain_stream>, executor) {}

connection::connection(const asio::any_io_executor& executor, asio::ssl::context& tls)
    : stream_(std::in_place_type<tls_stream>, executor, tls) {}

connection::plain_stream& connection::tcp() {
  return std::visit([](auto& stream) -> plain_stream& { return beast::get_lowest_layer(stream); }, stream_);
}

void connection::close() {
  // No TLS close_notify: the response is framed (or we are abandoning it), and waiting for the peer's answer to a
  // shutdown could stall the caller. Closing the socket cancels pending operations with operation_aborted.
  tcp().close();
}

asio::awaitable<outcome<std::unique_ptr<connection>>> open_connection(const endpoint& where, asio::ssl::context& tls,
                                                                      std::chrono::seconds budget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  auto addresses = co_await resolve(where, deadline, budget);
  if (!addresses) co_return std::move(addresses).error();
  // The resolver ignores per-operation cancellation; notice one that arrived while it ran.
  if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
    co_return make_failure(failure_kind::cancelled, stage::resolve, "cancelled");
  }

  auto executor = co_await asio::this_coro::executor;
  auto conn = where.tls ? std::make_unique<connection>(executor, tls) : std::make_unique<connection>(executor);
  conn->tcp().expires_at(deadline);
  if (auto connected = co_await connect(*conn, where, addresses.value(), budget); !connected) {
    co_return std::move(connected).error();
  }
  if (where.tls) {
    if (auto secured = co_await tls_handshake(*conn, where, budget); !secured) co_return std::move(secured).error();
  }
  conn->tcp().expires_never();
  co_return std::move(conn);
}

std::string timeout_text(std::chrono::seconds limit) { return "timeout after " + std::to_string(limit.count()) + "s"; }

failure stage_failure(const beast::error_code& ec, std::string_view stage, failure_kind otherwise,
                      std::string_view what, std::chrono::seconds limit) {
  if (ec == beast::error::timeout) return make_failure(failure_kind::timeout, stage, timeout_text(limit));
  if (ec == asio::error::operation_aborted) return make_failure(failure_kind::cancelled, stage, "cancelled");
  std::string detail(what);
  if (!detail.empty()) detail += ": ";
  detail += ec.message();
  return make_failure(otherwise, stage, std::move(detail));
}

}  // namespace serenade::sonauto::detail
