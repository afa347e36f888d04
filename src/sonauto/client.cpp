#include "sonauto/client.hpp"

#include "core/blocking_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "core/log.hpp"
#include "sonauto/detail/connection.hpp"
#include "sonauto/wire.hpp"

namespace serenade::sonauto {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using detail::connection;

namespace {
constexpr auto as_values = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t rest_body_limit = 1024 * 1024;  // a result is a few KiB; anything near this is not Sonauto
constexpr std::size_t refusal_body_limit = 64 * 1024;   // what we read of a non-2xx stream answer
constexpr std::size_t read_buffer_limit = 128 * 1024;   // socket read buffer: one header plus one 64 KiB read
constexpr std::size_t download_piece = 64 * 1024;      // download: the most read, then handed to the sink, at once
constexpr int max_redirects = 3;
constexpr std::string_view user_agent = "serenade/0.1";
}  // namespace

namespace detail {

struct client_state {
  client_options options;
  endpoint api;
  endpoint stream;
  std::shared_ptr<asio::ssl::context> tls;  // shared with open streams, which may outlive the client
};

// An open stream. Its lifecycle:
//   open (header read, 2xx) --read_some--> open ... --body complete--> done (read_some returns 0 from then on)
//   open --upstream cut / timeout--> failed (bytes that did arrive are returned first, then the failure, forever)
//   any --close()--> closed (pending and later reads: cancelled)
struct stream_state {
  std::shared_ptr<const client_state> client;
  std::unique_ptr<connection> conn;
  beast::flat_buffer buffer{read_buffer_limit};
  http::response_parser<http::buffer_body> parser;
  unsigned status = 0;
  std::string content_type;
  std::optional<failure> failed;  // the read error, repeated by every later read
  bool closed = false;
  bool reading = false;
};

}  // namespace detail

namespace {
using detail::client_state;
using detail::stream_state;

// Every failure leaving the client passes here (see the *_call coroutines): its text is scrubbed of the API key.
template <class T>
outcome<T> scrubbed(const client_state& state, outcome<T> result) {
  if (result) return result;
  failure f = std::move(result).error();
  f.detail = wire::redact(std::move(f.detail), state.options.api_key);
  f.stage = wire::redact(std::move(f.stage), state.options.api_key);
  return f;
}

failure make_failure(failure_kind kind, std::string_view stage, std::string detail) {
  return failure{kind, std::string(stage), 0, std::move(detail)};
}

bool is_success(unsigned status) { return status >= 200 && status < 300; }

std::string encode_segment(std::string_view text) {
  return boost::urls::encode(boost::urls::string_view(text.data(), text.size()), boost::urls::unreserved_chars);
}

// `with_key`: whether this request may carry the API key (only to the configured api/stream origins).
http::request<http::string_body> make_request(const client_state& state, const detail::endpoint& where,
                                              http::verb method, std::string target, std::string_view accept,
                                              bool with_key = true) {
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, where.host_header);
  request.set(http::field::user_agent, user_agent);
  request.set(http::field::accept, accept);
  if (with_key) request.set(http::field::authorization, "Bearer " + state.options.api_key);
  return request;
}

// Read errors by name first: a cut, a timeout and a cancellation each mean something different to the caller.
failure read_failure(const beast::error_code& ec, std::string_view stage, std::chrono::seconds limit) {
  if (ec == http::error::end_of_stream) {
    return make_failure(failure_kind::protocol, stage, "upstream closed the connection without answering");
  }
  if (ec == http::error::partial_message || ec == asio::ssl::error::stream_truncated) {
    return make_failure(failure_kind::protocol, stage, "upstream closed the connection before the body ended");
  }
  if (ec == http::error::body_limit) return make_failure(failure_kind::protocol, stage, "response body too large");
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
    return make_failure(failure_kind::protocol, stage, "malformed HTTP response: " + ec.message());
  }
  return detail::stage_failure(ec, stage, failure_kind::protocol, "read failed", limit);
}

// ---- REST: connect → tls_handshake → send_request → read_header → read_body → finish ----

struct rest_answer {
  unsigned status = 0;
  std::string body;
};

asio::awaitable<outcome<bool>> send_request(connection& conn, http::request<http::string_body>& request,
                                            std::chrono::seconds limit) {
  auto [ec, sent] = co_await conn.with_stream(
      [&](auto& stream) { return http::async_write(stream, request, as_values); });
  if (ec) co_return detail::stage_failure(ec, stage::send_request, failure_kind::protocol, "send failed", limit);
  co_return true;
}

template <class Body>
asio::awaitable<outcome<bool>> read_header(connection& conn, beast::flat_buffer& buffer,
                                           http::response_parser<Body>& parser, std::chrono::seconds limit) {
  auto [ec, used] = co_await conn.with_stream(
      [&](auto& stream) { return http::async_read_header(stream, buffer, parser, as_values); });
  if (ec) co_return read_failure(ec, stage::read_header, limit);
  co_return true;
}

asio::awaitable<outcome<bool>> read_body(connection& conn, beast::flat_buffer& buffer,
                                         http::response_parser<http::string_body>& parser,
                                         std::chrono::seconds limit) {
  auto [ec, used] = co_await conn.with_stream(
      [&](auto& stream) { return http::async_read(stream, buffer, parser, as_values); });
  if (ec) co_return read_failure(ec, stage::read_body, limit);
  co_return true;
}

asio::awaitable<outcome<rest_answer>> exchange(const client_state& state, http::verb method, std::string target,
                                               std::optional<std::string> json_body) {
  const auto& options = state.options;
  auto opened = co_await detail::open_connection(state.api, *state.tls, options.connect_timeout);
  if (!opened) co_return std::move(opened).error();
  connection& conn = *opened.value();

  auto request = make_request(state, state.api, method, std::move(target), "application/json");
  if (json_body) {
    request.set(http::field::content_type, "application/json");
    request.body() = std::move(*json_body);
  }
  request.prepare_payload();
  // One deadline for the whole exchange: sending the request and reading all of the answer.
  conn.tcp().expires_after(options.request_timeout);
  if (auto sent = co_await send_request(conn, request, options.request_timeout); !sent) {
    co_return std::move(sent).error();
  }

  beast::flat_buffer buffer{read_buffer_limit};
  http::response_parser<http::string_body> parser;
  parser.body_limit(rest_body_limit);
  if (auto header = co_await read_header(conn, buffer, parser, options.request_timeout); !header) {
    co_return std::move(header).error();
  }
  const unsigned status = parser.get().result_int();
  auto body = co_await read_body(conn, buffer, parser, options.request_timeout);
  // finish: one connection per request for now; a pool would take the connection back here when keep-alive.
  conn.close();
  if (!body) {
    // A refusal whose body broke off is still a refusal; the status says more than the cut.
    if (!is_success(status) && body.error().kind != failure_kind::cancelled) co_return rest_answer{status, {}};
    co_return std::move(body).error();
  }
  co_return rest_answer{status, std::move(parser.get().body())};
}

failure refusal(const client_state& state, unsigned status, std::string_view body) {
  return failure{failure_kind::http_status, std::string(stage::read_header), status,
                 wire::error_detail(status, body, state.options.api_key)};
}

void log_call(std::string_view call, const failure* error) {
  if (error == nullptr) {
    SERENADE_LOG(debug, "sonauto_call", "call", call, "outcome", "ok");
  } else {
    SERENADE_LOG(debug, "sonauto_call", "call", call, "outcome", to_string(error->kind), "stage", error->stage);
  }
}

// Per-operation cancellation (a bound cancellation slot, `||` on awaitables) must end in failure{cancelled}, never in
// an exception. Asio throws from the next co_await once the coroutine's cancellation state is set, and that flag
// belongs to the caller's whole coroutine chain: so turn it off for our duration and give the caller's setting back.
template <class T>
asio::awaitable<outcome<T>> without_cancel_exceptions(asio::awaitable<outcome<T>> inner) {
  const bool previous = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  auto result = co_await std::move(inner);
  co_await asio::this_coro::throw_if_cancelled(previous);
  co_return result;
}

template <class T>
outcome<T> finish(const client_state& state, std::string_view call, outcome<T> result) {
  result = scrubbed(state, std::move(result));
  log_call(call, result ? nullptr : &result.error());
  return result;
}

asio::awaitable<outcome<std::string>> create_generation_exchange(std::shared_ptr<const client_state> state,
                                                                 generation_request request) {
  auto answer = co_await exchange(*state, http::verb::post, state->api.path + "/generations/v3",
                                  wire::create_body(request));
  if (!answer) co_return std::move(answer).error();
  if (!is_success(answer.value().status)) co_return refusal(*state, answer.value().status, answer.value().body);
  co_return wire::parse_task_id(answer.value().body);
}

asio::awaitable<outcome<status_report>> status_exchange(std::shared_ptr<const client_state> state,
                                                      std::string task_id) {
  auto answer = co_await exchange(*state, http::verb::get,
                                  state->api.path + "/generations/status/" + encode_segment(task_id), std::nullopt);
  if (!answer) co_return std::move(answer).error();
  if (!is_success(answer.value().status)) co_return refusal(*state, answer.value().status, answer.value().body);
  co_return wire::parse_status(answer.value().body);
}

asio::awaitable<outcome<generation_result>> result_exchange(std::shared_ptr<const client_state> state,
                                                            std::string task_id) {
  auto answer = co_await exchange(*state, http::verb::get, state->api.path + "/generations/" + encode_segment(task_id),
                                  std::nullopt);
  if (!answer) co_return std::move(answer).error();
  if (!is_success(answer.value().status)) co_return refusal(*state, answer.value().status, answer.value().body);
  auto result = wire::parse_result(answer.value().body);
  if (result && result.value().id.empty()) result.value().id = task_id;
  co_return result;
}

asio::awaitable<outcome<credit_balance>> credits_exchange(std::shared_ptr<const client_state> state) {
  auto answer = co_await exchange(*state, http::verb::get, state->api.path + "/credits/balance", std::nullopt);
  if (!answer) co_return std::move(answer).error();
  if (!is_success(answer.value().status)) co_return refusal(*state, answer.value().status, answer.value().body);
  co_return wire::parse_credits(answer.value().body);
}

// ---- Stream: connect → tls_handshake → send_request → read_header, then read_body one piece per read_some ----

// The body of a non-2xx stream answer, at most refusal_body_limit bytes and request_timeout; whatever arrived.
asio::awaitable<std::string> read_refusal_body(stream_state& s) {
  std::string body(refusal_body_limit, '\0');
  std::size_t used = 0;
  s.conn->tcp().expires_after(s.client->options.request_timeout);
  auto& window = s.parser.get().body();
  while (!s.parser.is_done() && used < body.size()) {
    window.data = body.data() + used;
    window.size = body.size() - used;
    window.more = true;
    auto [ec, consumed] = co_await s.conn->with_stream(
        [&](auto& stream) { return http::async_read_some(stream, s.buffer, s.parser, as_values); });
    used = body.size() - window.size;
    if (ec && ec != http::error::need_buffer) break;
  }
  window.data = nullptr;
  window.size = 0;
  body.resize(used);
  co_return body;
}

// connect → tls_handshake → send_request → read_header of a GET whose body is then read piece by piece (pump_body).
// Any status is returned: the caller decides what a refusal or a redirect means. The header gets `header_timeout`.
asio::awaitable<outcome<std::shared_ptr<stream_state>>> start_get(std::shared_ptr<const client_state> state,
                                                                  const detail::endpoint& where, std::string target,
                                                                  std::string_view accept, bool with_key,
                                                                  std::chrono::seconds header_timeout,
                                                                  header_list extra_headers = {}) {
  const auto& options = state->options;
  auto opened = co_await detail::open_connection(where, *state->tls, options.connect_timeout);
  if (!opened) co_return std::move(opened).error();

  auto s = std::make_shared<stream_state>();
  s->client = state;
  s->conn = std::move(opened).value();
  s->parser.body_limit(boost::none);  // lengths are the caller's business (a song's is not known in advance)

  auto request = make_request(*state, where, http::verb::get, std::move(target), accept, with_key);
  for (const auto& [name, value] : extra_headers) request.set(name, value);
  request.prepare_payload();
  s->conn->tcp().expires_after(options.request_timeout);
  if (auto sent = co_await send_request(*s->conn, request, options.request_timeout); !sent) {
    co_return std::move(sent).error();
  }
  s->conn->tcp().expires_after(header_timeout);
  if (auto header = co_await read_header(*s->conn, s->buffer, s->parser, header_timeout); !header) {
    co_return std::move(header).error();
  }
  s->status = s->parser.get().result_int();
  co_return s;
}

// A GET whose 2xx answer is a stream read piece by piece; any other answer is a refusal, its body read for the detail.
asio::awaitable<outcome<std::unique_ptr<upstream_stream>>> open_stream_from(std::shared_ptr<const client_state> state,
                                                                            const detail::endpoint& where,
                                                                            std::string target, bool with_key,
                                                                            header_list extra_headers = {}) {
  // The first audio can take a while: the header gets the stream's idle timeout, not the REST one.
  auto started = co_await start_get(state, where, std::move(target), "audio/mpeg, */*;q=0.5", with_key,
                                    state->options.stream_read_timeout, std::move(extra_headers));
  if (!started) co_return std::move(started).error();
  auto s = std::move(started).value();
  if (!is_success(s->status)) {
    auto body = co_await read_refusal_body(*s);
    s->conn->close();
    co_return refusal(*state, s->status, body);
  }
  auto type = s->parser.get()[http::field::content_type];
  s->content_type = type.empty() ? std::string("audio/mpeg") : std::string(type);
  co_return std::make_unique<upstream_stream>(std::move(s));
}

asio::awaitable<outcome<std::unique_ptr<upstream_stream>>> open_stream_exchange(
    std::shared_ptr<const client_state> state, std::string task_id) {
  auto target = state->stream.path + "/stream/" + encode_segment(task_id);
  co_return co_await open_stream_from(state, state->stream, std::move(target), true);
}

// Stage read_body, one piece: the parser writes body bytes straight into the caller's buffer (buffer_body), so the
// song is never accumulated here. Chunk headers alone produce no bytes; keep reading until bytes or the end.
asio::awaitable<outcome<std::size_t>> pump_body(std::shared_ptr<stream_state> s, std::span<char> buffer) {
  const auto limit = s->client->options.stream_read_timeout;
  if (s->closed) co_return make_failure(failure_kind::cancelled, stage::read_body, "stream closed");
  if (s->failed) co_return *s->failed;
  if (s->parser.is_done()) co_return std::size_t{0};
  if (buffer.empty()) throw std::invalid_argument("upstream_stream::read_some needs a non-empty buffer");
  if (s->reading) throw std::logic_error("upstream_stream::read_some: another read is pending");
  s->reading = true;
  struct reading_guard {
    stream_state& s;
    ~reading_guard() { s.reading = false; }
  } guard{*s};

  auto& window = s->parser.get().body();
  for (;;) {
    window.data = buffer.data();
    window.size = buffer.size();
    window.more = true;
    // Idle timeout: restarted for every read, so it measures silence, not the length of the song.
    s->conn->tcp().expires_after(limit);
    auto [ec, consumed] = co_await s->conn->with_stream(
        [&](auto& stream) { return http::async_read_some(stream, s->buffer, s->parser, as_values); });
    const std::size_t got = buffer.size() - window.size;
    window.data = nullptr;  // the caller's buffer is only ours during this call
    window.size = 0;
    if (ec == http::error::need_buffer) ec = {};  // the caller's buffer is full: a normal short return
    if (ec == asio::ssl::error::stream_truncated && !s->parser.chunked() && !s->parser.content_length()) {
      // A body delimited by the connection's end has no framing to check; over TLS a close without close_notify
      // is that end (as it is over plain TCP, where Beast calls put_eof itself).
      ec = {};
      s->parser.put_eof(ec);
    }
    if (ec) {
      failure error = s->closed ? make_failure(failure_kind::cancelled, stage::read_body, "stream closed")
                                : read_failure(ec, stage::read_body, limit);
      if (error.kind == failure_kind::timeout) error.detail += " without data";
      s->failed = error;
      // Bytes that arrived before the error still belong to the caller; the failure comes with the next read.
      // (Beast 1.81 reports a framing error in a later read than the data, so this is a guard, not a hot path.)
      if (got > 0) co_return got;
      co_return error;
    }
    if (got > 0) co_return got;
    if (s->parser.is_done()) co_return std::size_t{0};
  }
}

// ---- Download: [connect → tls_handshake → send_request → read_header] per hop, then read_body → write_body ----

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The origins that may see the API key: the configured bases'.
bool trusted_origin(const client_state& state, const detail::endpoint& where) {
  return detail::same_origin(where, state.api) || detail::same_origin(where, state.stream);
}

failure write_failure(const std::error_code& error) {
  return make_failure(failure_kind::protocol, stage::write_body, "cannot keep the body: " + error.message());
}

failure too_large(std::uint64_t max_bytes) {
  return make_failure(failure_kind::protocol, stage::read_body,
                      "response body larger than " + std::to_string(max_bytes) + " bytes");
}

// `url` parsed for a request, or failure{protocol, `stage`} saying why it cannot be fetched.
outcome<detail::resource> parse_target(std::string_view url, std::string_view what, std::string_view stage) {
  try {
    return detail::parse_resource(url, what);
  } catch (const std::invalid_argument& e) {
    return make_failure(failure_kind::protocol, stage, e.what());
  }
}

asio::awaitable<outcome<std::unique_ptr<upstream_stream>>> open_stream_at_exchange(
    std::shared_ptr<const client_state> state, std::string url, header_list extra_headers) {
  auto parsed = parse_target(url, "stream URL", stage::resolve);
  if (!parsed) co_return std::move(parsed).error();
  auto resource = std::move(parsed).value();
  const bool with_key = trusted_origin(*state, resource.where);
  co_return co_await open_stream_from(state, resource.where, std::move(resource.target), with_key,
                                      std::move(extra_headers));
}

// Where a redirect points: its Location (absolute, or relative to `from`) as an absolute URL, encoding kept.
outcome<std::string> redirect_target(const std::string& from, std::string_view location, unsigned status) {
  const std::string what = "HTTP " + std::to_string(status) + " redirect";
  if (location.empty()) return make_failure(failure_kind::protocol, stage::read_header, what + " without a Location");
  auto target = detail::resolve_reference(from, location);
  if (!target) {
    return make_failure(failure_kind::protocol, stage::read_header,
                        what + " to a malformed Location '" + std::string(location) + "'");
  }
  return std::move(*target);
}

asio::awaitable<outcome<download_result>> download_exchange(std::shared_ptr<const client_state> state,
                                                            std::string url, body_sink sink,
                                                            std::uint64_t max_bytes) {
  auto first = parse_target(url, "download URL", stage::resolve);
  if (!first) co_return std::move(first).error();
  detail::resource hop = std::move(first).value();
  // The key goes only to the configured origins, and never again once a redirect has left the current one.
  bool with_key = trusted_origin(*state, hop.where);
  std::shared_ptr<stream_state> s;
  for (int redirects = 0;; ++redirects) {
    auto started = co_await start_get(state, hop.where, hop.target, "*/*", with_key, state->options.request_timeout);
    if (!started) co_return std::move(started).error();
    s = std::move(started).value();
    if (!is_redirect(s->status)) break;
    s->conn->close();  // the redirect's body is of no interest
    if (redirects == max_redirects) {
      co_return make_failure(failure_kind::protocol, stage::read_header,
                             "more than " + std::to_string(max_redirects) + " redirects");
    }
    auto next_url = redirect_target(url, s->parser.get()[http::field::location], s->status);
    if (!next_url) co_return std::move(next_url).error();
    auto next = parse_target(next_url.value(), "redirect target", stage::read_header);
    if (!next) co_return std::move(next).error();
    with_key = with_key && detail::same_origin(next.value().where, hop.where);
    url = std::move(next_url).value();  // the base of a further relative Location
    hop = std::move(next).value();
  }
  if (!is_success(s->status)) {
    auto body = co_await read_refusal_body(*s);
    s->conn->close();
    co_return refusal(*state, s->status, body);
  }

  download_result result;
  result.content_type = std::string(s->parser.get()[http::field::content_type]);
  if (auto length = s->parser.content_length()) result.content_length = *length;
  if (result.content_length && *result.content_length > max_bytes) {
    s->conn->close();
    co_return too_large(max_bytes);
  }
  std::vector<char> buffer(download_piece);
  for (;;) {
    auto got = co_await pump_body(s, buffer);  // read_body, with the idle timeout per read
    if (!got) co_return std::move(got).error();
    const std::size_t size = got.value();
    if (size == 0) break;
    if (size > max_bytes - result.bytes) {
      s->conn->close();
      co_return too_large(max_bytes);
    }
    const std::span<const char> chunk(buffer.data(), size);
    auto keep_chunk = [&] { return sink(chunk); };
    if (const auto error = co_await core::run_on(state->options.disk, keep_chunk)) {
      s->conn->close();
      co_return write_failure(error);
    }
    result.bytes += size;
  }
  s->conn->close();
  co_return result;
}

// ---- the calls: scrubbed, logged, cancellation as a value ----

asio::awaitable<outcome<std::string>> create_generation_call(std::shared_ptr<const client_state> state,
                                                             generation_request request) {
  auto result = co_await without_cancel_exceptions(create_generation_exchange(state, std::move(request)));
  co_return finish(*state, "create_generation", std::move(result));
}

asio::awaitable<outcome<status_report>> status_call(std::shared_ptr<const client_state> state, std::string task_id) {
  auto result = co_await without_cancel_exceptions(status_exchange(state, std::move(task_id)));
  co_return finish(*state, "status", std::move(result));
}

asio::awaitable<outcome<generation_result>> result_call(std::shared_ptr<const client_state> state,
                                                        std::string task_id) {
  auto result = co_await without_cancel_exceptions(result_exchange(state, std::move(task_id)));
  co_return finish(*state, "result", std::move(result));
}

asio::awaitable<outcome<credit_balance>> credits_call(std::shared_ptr<const client_state> state) {
  auto result = co_await without_cancel_exceptions(credits_exchange(state));
  co_return finish(*state, "credits", std::move(result));
}

asio::awaitable<outcome<std::unique_ptr<upstream_stream>>> open_stream_call(std::shared_ptr<const client_state> state,
                                                                            std::string task_id) {
  auto result = co_await without_cancel_exceptions(open_stream_exchange(state, std::move(task_id)));
  co_return finish(*state, "open_stream", std::move(result));
}

asio::awaitable<outcome<std::unique_ptr<upstream_stream>>> open_stream_at_call(
    std::shared_ptr<const client_state> state, std::string url, header_list extra_headers) {
  auto result =
      co_await without_cancel_exceptions(open_stream_at_exchange(state, std::move(url), std::move(extra_headers)));
  co_return finish(*state, "open_stream_at", std::move(result));
}

asio::awaitable<outcome<download_result>> download_call(std::shared_ptr<const client_state> state, std::string url,
                                                       body_sink sink, std::uint64_t max_bytes) {
  auto result =
      co_await without_cancel_exceptions(download_exchange(state, std::move(url), std::move(sink), max_bytes));
  co_return finish(*state, "download", std::move(result));
}

asio::awaitable<outcome<std::size_t>> read_some_call(std::shared_ptr<stream_state> state, std::span<char> buffer) {
  auto result = co_await without_cancel_exceptions(pump_body(state, buffer));
  co_return scrubbed(*state->client, std::move(result));
}

}  // namespace

// ---- upstream_stream ----

upstream_stream::upstream_stream(std::shared_ptr<detail::stream_state> state) : state_(std::move(state)) {}

upstream_stream::~upstream_stream() { close(); }

unsigned upstream_stream::status() const { return state_->status; }

const std::string& upstream_stream::content_type() const { return state_->content_type; }

asio::awaitable<outcome<std::size_t>> upstream_stream::read_some(std::span<char> buffer) {
  // The coroutine holds the state: the connection outlives an owner that destroys us while this read is pending.
  return read_some_call(state_, buffer);
}

void upstream_stream::close() {
  if (state_->closed) return;
  state_->closed = true;
  state_->conn->close();
}

// ---- client ----

client::client(client_options options) {
  const auto& key = options.api_key;
  for (char c : key) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      throw std::invalid_argument("SONAUTO_API_KEY contains whitespace or a control character");
    }
  }
  auto state = std::make_shared<client_state>();
  try {
    state->api = detail::parse_base(options.api_base, "Sonauto API base URL");
    state->stream = detail::parse_base(options.stream_base, "Sonauto stream base URL");
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(wire::redact(e.what(), key));
  }
  state->tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  state->tls->set_default_verify_paths();
  if (!options.extra_ca_pem.empty()) {
    beast::error_code ec;
    state->tls->add_certificate_authority(asio::buffer(options.extra_ca_pem), ec);
    if (ec) throw std::invalid_argument("extra CA certificate is not usable PEM: " + ec.message());
  }
  state->tls->set_verify_mode(asio::ssl::verify_peer);
  SSL_CTX_set_min_proto_version(state->tls->native_handle(), TLS1_2_VERSION);
  state->options = std::move(options);
  state_ = std::move(state);
}

client::~client() = default;

// The public calls are plain functions that copy their arguments into a coroutine: the returned awaitable owns
// everything it needs, so it may be co_spawn'ed after the caller's strings are gone.

asio::awaitable<outcome<std::string>> client::create_generation(const generation_request& request) {
  return create_generation_call(state_, request);
}

asio::awaitable<outcome<status_report>> client::status(std::string_view task_id) {
  return status_call(state_, std::string(task_id));
}

asio::awaitable<outcome<generation_result>> client::result(std::string_view task_id) {
  return result_call(state_, std::string(task_id));
}

asio::awaitable<outcome<credit_balance>> client::credits() { return credits_call(state_); }

asio::awaitable<outcome<std::unique_ptr<upstream_stream>>> client::open_stream(std::string_view task_id) {
  return open_stream_call(state_, std::string(task_id));
}

asio::awaitable<outcome<std::unique_ptr<upstream_stream>>> client::open_stream_at(std::string_view url,
                                                                                  header_list extra_headers) {
  return open_stream_at_call(state_, std::string(url), std::move(extra_headers));
}

asio::awaitable<outcome<download_result>> client::download(std::string_view url, body_sink sink,
                                                           std::uint64_t max_bytes) {
  return download_call(state_, std::string(url), std::move(sink), max_bytes);
}

}  // namespace serenade::sonauto
