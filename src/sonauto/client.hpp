#pragma once
// Client for Sonauto's REST API and its progressive stream (see docs/sonauto-api.md).
//
// Every exchange runs the same stages, one connection per request:
//   resolve → connect → tls_handshake (https only) → send_request → read_header → read_body → finish
// (download: one resolve … read_header per redirect hop, and each piece of read_body is followed by write_body)
// All I/O objects are created on the executor of the coroutine that calls in (co_await this_coro::executor), so a
// caller running on a strand owns the connection and may close() an open stream from that strand.
// Failures are values (outcome<T>); nothing throws out of a coroutine except programming errors.
// The API key only ever leaves in the Authorization header; every failure detail is scrubbed of it.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "sonauto/failure.hpp"
#include "sonauto/task_status.hpp"

namespace serenade::core {
class blocking_pool;
}

namespace serenade::sonauto {

struct client_options {
  std::string api_key;      // sent as "Authorization: Bearer <key>"; must not contain spaces or control characters
  std::string api_base;     // "https://api.sonauto.ai/v1" or "http://127.0.0.1:PORT/v1"
  std::string stream_base;  // "https://api-stream.sonauto.ai" or "http://127.0.0.1:PORT"
  std::chrono::seconds connect_timeout{30};       // resolve + TCP connect + TLS handshake, one budget
  std::chrono::seconds request_timeout{30};       // REST: send + whole response; stream: send + a refusal's body
  std::chrono::seconds stream_read_timeout{600};  // stream: the header, then the longest silence between body bytes
  // Extra trust anchors (PEM), added to the system store — for tests and private CAs. Peer verification is never off.
  std::string extra_ca_pem;
  // Where a download's sink runs, so that a slow disk never holds an I/O thread; null runs it inline.
  core::blocking_pool* disk = nullptr;
};

struct generation_request {
  std::string prompt;
  std::vector<std::string> tags;           // omitted from the request when empty
  std::optional<std::string> webhook_url;  // omitted when unset
  std::optional<std::string> lyrics;       // sung as given instead of lyrics written from the prompt; omitted when unset
};

// GET /v1/generations/{id}. Unknown fields are ignored; null or missing fields are left empty.
struct generation_result {
  std::string id;
  std::string status;                   // "SUCCESS", "FAILURE", or an in-progress state
  std::vector<std::string> song_paths;  // CDN URLs, normally one; empty until SUCCESS
  std::optional<std::string> error_message;
  std::optional<std::string> lyrics;
  std::vector<std::string> tags;
};

// GET /v1/credits/balance: what is left to spend (a song costs 100).
struct credit_balance {
  std::int64_t credits = 0;       // num_credits
  std::int64_t payg_credits = 0;  // num_credits_payg, pay-as-you-go
  std::int64_t total() const { return credits + payg_credits; }
};

// Where a download's body goes, piece by piece and in order (the archive writes it to a file). An error stops the
// download as failure{protocol, "write_body", its message}.
using body_sink = std::function<std::error_code(std::span<const char> piece)>;

// What a download handed to its sink.
struct download_result {
  std::uint64_t bytes = 0;                     // body bytes taken by the sink
  std::string content_type;                    // as upstream sent it; empty when it sent none
  std::optional<std::uint64_t> content_length;  // the final answer's Content-Length, when it had one
};

// Request headers as (name, value) pairs.
using header_list = std::vector<std::pair<std::string, std::string>>;

class client;
namespace detail {
struct client_state;
struct stream_state;
}  // namespace detail

// An open GET {stream_base}/stream/{task_id} that answered 2xx. Reads are driven by the owner, one at a time, from
// the executor the stream was opened on. Destroying it closes the connection; a read still pending then completes
// with `cancelled` (the read keeps the internals alive until it does).
class upstream_stream {
 public:
  upstream_stream(const upstream_stream&) = delete;
  upstream_stream& operator=(const upstream_stream&) = delete;
  ~upstream_stream();

  unsigned status() const;
  const std::string& content_type() const;  // "audio/mpeg" when upstream sent none

  // Copies the next piece of the body into `buffer` as soon as some bytes are there (no accumulation) and returns
  // how many. 0 means the body ended cleanly (final chunk, full Content-Length, or EOF on an unframed body).
  // A cut (EOF before the end of a framed body) is failure{protocol, "read_body"}, after every byte that did
  // arrive has been returned; silence longer than stream_read_timeout is failure{timeout, "read_body"}; a read
  // after close() or interrupted by it is failure{cancelled}. `buffer` must not be empty; one read at a time.
  boost::asio::awaitable<outcome<std::size_t>> read_some(std::span<char> buffer);

  // Closes the connection: a pending read completes promptly with `cancelled`. Safe to call twice.
  void close();

  // Made by client::open_stream only.
  explicit upstream_stream(std::shared_ptr<detail::stream_state> state);

 private:
  std::shared_ptr<detail::stream_state> state_;
};

// Thread-safe to share: it holds only immutable configuration and the TLS context. Each call copies its arguments
// when it is made, and the returned awaitable keeps what it needs alive: the client may be destroyed while calls
// are in flight, and open upstream_streams do not need it.
class client {
 public:
  // Throws std::invalid_argument for a malformed base URL (scheme must be http or https, no query or user info)
  // or an API key with whitespace or control characters.
  explicit client(client_options options);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // POST {api_base}/generations/v3 → the task id.
  boost::asio::awaitable<outcome<std::string>> create_generation(const generation_request& request);
  // GET {api_base}/generations/status/{task_id} → task_status::generating, ...
  boost::asio::awaitable<outcome<status_report>> status(std::string_view task_id);
  // GET {api_base}/generations/{task_id}
  boost::asio::awaitable<outcome<generation_result>> result(std::string_view task_id);
  // GET {api_base}/credits/balance
  boost::asio::awaitable<outcome<credit_balance>> credits();
  // GET {stream_base}/stream/{task_id}; resolves once the status line and headers are in. A non-2xx answer is
  // failure{http_status, "read_header", status, detail from the body (at most 64 KiB read)}.
  boost::asio::awaitable<outcome<std::unique_ptr<upstream_stream>>> open_stream(std::string_view task_id);
  // The same from an absolute http(s) URL, with these request headers: another instance's relay of a song
  // (live/hub.hpp, edge). The API key is sent only when the URL's scheme, host and port are those of api_base or
  // stream_base, as for download.
  boost::asio::awaitable<outcome<std::unique_ptr<upstream_stream>>> open_stream_at(std::string_view url,
                                                                                   header_list extra_headers = {});

  // GET an absolute http(s) URL (a song_paths entry, used exactly as encoded; a fragment is not sent) and hand its
  // body to `sink`, one piece (≤ 64 KiB) at a time.
  // - The API key is sent only when the URL's scheme, host and port are those of api_base or stream_base: a CDN
  //   host never sees it. Up to 3 redirects (301/302/303/307/308, relative Locations resolved) are followed, each
  //   as a GET on a new connection; once a redirect leaves the current scheme+host+port, the key is not sent again.
  // - connect_timeout covers resolve + connect + TLS of each hop; request_timeout covers sending the request and
  //   reading the answer's header (and a refusal's body); stream_read_timeout is the longest silence between body
  //   bytes (failure{timeout, "read_body"}).
  // - Non-2xx (after redirects) is failure{http_status, "read_header", status, detail from the body}; a 4th redirect,
  //   a redirect without a usable Location, or a URL that is not absolute http(s) is failure{protocol}.
  // - A body longer than max_bytes is failure{protocol, "read_body", "... larger than N bytes"}: found from the
  //   Content-Length before anything reaches the sink, or else when a piece would pass the limit (that piece is
  //   not handed over: at most max_bytes reach the sink). A body cut before its end (Content-Length or chunked
  //   framing) is failure{protocol, "read_body"}. An error from the sink is failure{protocol, "write_body"}.
  // On failure the sink may have taken part of the body: discarding it is the caller's job.
  boost::asio::awaitable<outcome<download_result>> download(std::string_view url, body_sink sink,
                                                            std::uint64_t max_bytes);

 private:
  std::shared_ptr<const detail::client_state> state_;
};

}  // namespace serenade::sonauto
