#include "live/relay.hpp"

#include "core/log.hpp"
#include "http/exchange.hpp"
#include "sonauto/client.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace serenade::live {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr std::size_t chunk_bytes = 16 * 1024;

http::response upstream_refusal(const sonauto::failure& f) {
  if (f.kind == sonauto::failure_kind::timeout) {
    return http::error_response(504, "The music service did not start the stream in time");
  }
  if (f.kind == sonauto::failure_kind::http_status) {
    return http::error_response(502, "The music service refused the stream (HTTP " + std::to_string(f.status) +
                                         "): " + f.detail);
  }
  return http::error_response(502, "The music service's stream could not be opened");
}

}  // namespace

asio::awaitable<void> relay_live_stream(http::exchange& ex, sonauto::client& client, const relay_target& target,
                                        std::chrono::seconds start_timeout) {
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  };
  if (ex.req().is_head()) {
    // What a GET would answer, without opening an upstream connection for a request that wants no body.
    http::header_list headers{{"Content-Type", "audio/mpeg"},
                              {"Cache-Control", "no-cache, no-store, must-revalidate"},
                              {"X-Content-Type-Options", "nosniff"}};
    co_await ex.start_chunked(200, std::move(headers));
    co_return;
  }
  SERENADE_LOG(info, "stream_start", "session", target.session_id, "task", target.task_id);

  asio::steady_timer deadline(co_await asio::this_coro::executor, start_timeout);
  auto raced = co_await (client.open_stream(target.task_id) || deadline.async_wait(asio::use_awaitable));
  auto opened = raced.index() == 0
                    ? std::move(std::get<0>(raced))
                    : sonauto::outcome<std::unique_ptr<sonauto::upstream_stream>>(sonauto::failure{
                          sonauto::failure_kind::timeout, std::string(sonauto::stage::read_header), 0,
                          "no answer within " + std::to_string(start_timeout.count()) + "s"});
  if (!opened) {
    const auto& f = opened.error();
    auto answer = upstream_refusal(f);
    SERENADE_LOG(warn, "stream_end", "session", target.session_id, "bytes", 0, "ms", elapsed_ms(), "outcome",
                 "upstream_refused", "status", answer.status, "error", f.describe());
    co_await ex.respond(std::move(answer));
    co_return;
  }
  auto upstream = std::move(opened).value();

  // Built before the co_await: GCC 12 miscompiles braced lists of string literals inside co_await expressions.
  http::header_list headers{{"Content-Type", upstream->content_type()},
                            {"Cache-Control", "no-cache, no-store, must-revalidate"},
                            {"X-Content-Type-Options", "nosniff"}};
  co_await ex.start_chunked(200, std::move(headers));
  std::string outcome = "listener_gone";  // until the pump says otherwise
  std::string error;
  bool pump_done = false;

  auto pump = [&]() -> asio::awaitable<void> {
    // Heap, not the frame: GCC 12 rejects arrays in lambda coroutine frames.
    auto chunk = std::make_unique_for_overwrite<char[]>(chunk_bytes);
    for (;;) {
      auto got = co_await upstream->read_some({chunk.get(), chunk_bytes});
      if (!got) {
        if (got.error().kind != sonauto::failure_kind::cancelled) {
          outcome = "upstream_failed";
          error = got.error().describe();
          ex.abort();  // no final chunk: the listener must see the song was cut
        }
        co_return;
      }
      if (got.value() == 0) {
        outcome = "complete";
        co_await ex.finish_chunked();
        co_return;
      }
      if (!co_await ex.write_chunk({chunk.get(), got.value()})) co_return;
    }
  };
  auto pump_then_mark = [&]() -> asio::awaitable<void> {
    co_await pump();
    pump_done = true;
  };
  auto watch_listener = [&]() -> asio::awaitable<void> {
    co_await ex.wait_peer_closed();
    if (!pump_done) upstream->close();
  };
  co_await (pump_then_mark() || watch_listener());
  upstream->close();
  SERENADE_LOG(info, "stream_end", "session", target.session_id, "bytes", ex.body_bytes_sent(), "ms", elapsed_ms(),
               "outcome", outcome, "error", error);
}

}  // namespace serenade::live
