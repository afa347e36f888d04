#include "live/listener.hpp"

#include "core/log.hpp"
#include "core/wake_event.hpp"
#include "http/exchange.hpp"
#include "live/hub.hpp"

#include <boost/asio/this_coro.hpp>

namespace serenade::live {

namespace asio = boost::asio;

namespace {

// Big enough that a late joiner catches up in few system calls, small enough to keep slow sockets fair.
constexpr std::uint64_t max_chunk = 256 * 1024;

// Wakes `wake` once the hub has more than `offset` bytes, changed epoch or ended. Not a coroutine: the
// callback is built outside a coroutine frame (GCC bug 100611).
void notify_on_growth(hub& song, std::uint64_t offset, std::uint64_t epoch, const core::wake_event& wake) {
  song.notify_beyond(offset, epoch, wake.waiter());
}

// The latest step's bytes when they start at `offset` of this epoch: a listener at the live edge sends them
// from memory, the chunk and its framing in one write.
std::shared_ptr<const edge_piece> edge_at(const hub& song, std::uint64_t offset, std::uint64_t epoch) {
  auto piece = song.edge();
  if (!piece || piece->epoch != epoch || piece->offset != offset || piece->bytes.empty()) return nullptr;
  return piece;
}

// Relays the song from byte 0 until it ends, the listener leaves (the hang-up watch notifies `wake`) or a write
// fails; returns the outcome for the log. A stale wake only costs one extra loop turn.
asio::awaitable<std::string_view> relay(http::exchange& ex, hub& song, std::uint64_t epoch, hub_counters& counters,
                                        core::wake_event& wake) {
  std::uint64_t offset = 0;
  for (;;) {
    if (ex.peer_left()) co_return "listener_gone";
    if (song.epoch() != epoch) {
      ex.abort();
      co_return "capture_restarted";
    }
    const auto size = song.size();
    if (offset < size) {
      if (const auto piece = edge_at(song, offset, epoch)) {
        if (!co_await ex.write_chunk(piece->bytes)) co_return ex.write_stalled() ? "stalled" : "listener_gone";
        offset += piece->bytes.size();
        counters.bytes_relayed += piece->bytes.size();
        continue;
      }
      const auto length = std::min(size - offset, max_chunk);
      if (!co_await ex.send_file_chunk(song.read_fd(), offset, static_cast<std::size_t>(length))) {
        co_return ex.write_stalled() ? "stalled" : "listener_gone";
      }
      offset += length;
      counters.bytes_relayed += length;
      continue;
    }
    const auto state = song.state();
    if (state == hub_state::complete && offset >= song.size()) {
      co_await ex.finish_chunked();
      co_return "complete";
    }
    if (state == hub_state::abandoned && offset >= song.size()) {
      ex.abort();  // no final chunk: the listener must see the song was cut
      co_return "upstream_failed";
    }
    notify_on_growth(song, offset, epoch, wake);
    co_await wake.async_wait();
  }
}

http::header_list live_headers() {
  return {{"Content-Type", "audio/mpeg"}, {"Cache-Control", "no-cache, no-store, must-revalidate"}};
}

}  // namespace

asio::awaitable<void> answer_live_head(http::exchange& ex) { co_await ex.start_chunked(200, live_headers()); }

asio::awaitable<std::optional<start_refusal>> serve_listener(http::exchange& ex, std::shared_ptr<hub> song,
                                                             hub_counters& counters,
                                                             std::chrono::seconds start_timeout) {
  const auto started = std::chrono::steady_clock::now();
  core::wake_event wake(co_await asio::this_coro::executor);
  const auto epoch = song->epoch();

  if (ex.req().is_head()) {
    co_await answer_live_head(ex);
    co_return std::nullopt;
  }

  // Our status line waits (bounded) for the first captured byte, so a refusal is honest.
  if (song->size() == 0) {
    const auto deadline = std::chrono::steady_clock::now() + start_timeout;
    bool timed_out = false;
    while (!timed_out && song->size() == 0 && song->state() == hub_state::capturing) {
      notify_on_growth(*song, 0, epoch, wake);
      timed_out = !co_await wake.async_wait_until(deadline);
    }
    if (song->size() == 0) {
      SERENADE_LOG(warn, "listener_end", "session", song->session_id(), "bytes", 0, "outcome",
                   timed_out ? "upstream_timeout" : "upstream_refused");
      if (timed_out) co_return start_refusal{start_refusal::reason::start_timeout};
      co_return start_refusal{start_refusal::reason::upstream_refused};
    }
  }

  co_await ex.start_chunked(200, live_headers());
  ++counters.listeners_live;
  SERENADE_LOG(info, "listener_start", "session", song->session_id(), "captured", song->size());
  // A hang-up wakes the relay from its wait for growth; without the watch it would go unnoticed until the song
  // grew and a write failed.
  ex.watch_peer(wake.notifier());
  const auto outcome = co_await relay(ex, *song, epoch, counters, wake);
  ex.stop_watching_peer();
  --counters.listeners_live;
  if (outcome == "stalled") {
    ++counters.stalled_listeners_closed;
    ex.abort();
  } else if (outcome == "listener_gone") {
    ++counters.listeners_gone;
  } else if (outcome == "upstream_failed") {
    ++counters.listeners_cut_by_upstream;
  }
  SERENADE_LOG(info, "listener_end", "session", song->session_id(), "bytes", ex.body_bytes_sent(), "ms",
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count(),
               "outcome", outcome);
  co_return std::nullopt;
}

}  // namespace serenade::live
