#include "sim/stream.hpp"

#include "core/log.hpp"
#include "http/exchange.hpp"
#include "http/peer_watch.hpp"
#include "http/router.hpp"
#include "sim/context.hpp"
#include "sim/song_synth.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/scope_exit.hpp>

#include <algorithm>
#include <optional>
#include <vector>

namespace serenade::sim {

namespace asio = boost::asio;
using http::error_response;

namespace {

// What one stream connection does besides streaming: decided when it opens.
struct stream_plan {
  double answer_delay = 0;                // seconds before the status line
  std::optional<std::uint64_t> cut_at;    // cut the connection once this many body bytes are sent
  std::optional<std::uint64_t> stall_at;  // pause once this many body bytes are sent
  double stall_seconds = 0;
  std::shared_ptr<const std::vector<std::uint8_t>> audio;  // the encode this connection sends
  stream_end_mode end = stream_end_mode::final_chunk;
};

// The faults of this connection are fixed now; a later control call affects later connections. `earlier` is
// how many connections of the task were answered before this one.
stream_plan plan_connection(task& t, int earlier) {
  stream_plan plan;
  std::lock_guard lock(t.mutex);
  const auto& f = t.faults;
  plan.audio = f.replay == replay_mode::reencoded && earlier > 0 && t.reencoded ? t.reencoded : t.audio;
  if (f.drop_after_bytes && (f.drop_every_time || !t.drop_spent)) {
    plan.cut_at = f.drop_after_bytes;
    t.drop_spent = true;
  }
  if (f.stall_seconds > 0) {
    plan.stall_at = f.stall_at_bytes;
    plan.stall_seconds = f.stall_seconds;
  }
  plan.answer_delay = f.stall_stream_answer;
  plan.end = f.stream_end;
  return plan;
}

std::size_t bytes_generated(const task& t, const std::vector<std::uint8_t>& audio, const moment& m) {
  const auto total = audio.size();
  if (m.audio_seconds >= t.song_seconds) return total;
  return static_cast<std::size_t>(static_cast<double>(total) * (m.audio_seconds / t.song_seconds));
}

}  // namespace

std::size_t held_back_bytes(std::size_t total, double song_seconds) {
  if (total == 0 || song_seconds <= 0) return total;
  const double share = std::min(stream_tail_held, song_seconds / 2) / song_seconds;
  return std::clamp<std::size_t>(static_cast<std::size_t>(static_cast<double>(total) * share), 1, total);
}

namespace {

asio::awaitable<void> pause_for(double seconds) {
  asio::steady_timer pause(co_await asio::this_coro::executor, seconds_of(seconds));
  co_await pause.async_wait(asio::use_awaitable);
}

// Where the live stream's chunks end. Per tick: wherever generation has got to. Per frame: at frame boundaries,
// one frame per chunk once the replay of what was generated before the connection is sent.
class chunk_bounds {
 public:
  chunk_bounds(const simulator_options& options, const std::vector<std::uint8_t>& audio)
      : per_frame_(options.piece == "frame") {
    if (!per_frame_) return;
    ends_ = synth_frame_offsets(audio);
    if (!ends_.empty()) ends_.erase(ends_.begin());  // a frame ends where the next begins
    ends_.push_back(audio.size());
  }

  // What may be sent of `generated` bytes: up to the last whole frame when per frame.
  std::size_t sendable(std::size_t generated) const {
    if (!per_frame_) return generated;
    const auto after = std::upper_bound(ends_.begin(), ends_.end(), generated);
    return after == ends_.begin() ? 0 : *(after - 1);
  }

  // The end of the chunk that starts at `sent`, at most `limit`.
  std::size_t chunk_end(std::size_t sent, std::size_t limit, bool replaying) const {
    constexpr std::size_t replay_piece = 16 * 1024;
    if (!per_frame_ || replaying) return std::min(limit, sent + replay_piece);
    const auto next = std::upper_bound(ends_.begin(), ends_.end(), sent);
    return next == ends_.end() ? limit : std::min(limit, *next);
  }

  // How long to wait for more audio: a tick, or one frame's play time at the generation speed.
  double pause(const simulator_options& options) const {
    return per_frame_ ? mp3_seconds_per_frame() / options.speed : options.tick;
  }

 private:
  bool per_frame_;
  std::vector<std::size_t> ends_;
};

// Replays everything generated so far, then sends new audio as it is generated until the song is complete.
// Honours the connection's plan: a pause after plan.stall_at bytes, a cut after plan.cut_at bytes.
asio::awaitable<void> pump(const simulator_options& options, http::exchange& ex, task& t, stream_plan plan) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto& audio = *plan.audio;
  const chunk_bounds bounds(options, audio);
  std::size_t sent = 0;
  bool replaying = true;
  for (;;) {
    const auto m = moment_now(options, t);
    if (m.status == "FAILURE") {
      ex.abort();
      co_return;
    }
    auto generated = bytes_generated(t, audio, m);
    if (plan.end == stream_end_mode::expire_early) {
      if (m.succeeded) {
        SERENADE_LOG(info, "sim_stream_expired", "task", t.id, "bytes", sent, "unsent", audio.size() - sent);
        ++t.stream_expiry_cuts;
        ex.abort();
        co_return;
      }
      generated = std::min(generated, audio.size() - held_back_bytes(audio.size(), t.song_seconds));
    }
    const auto available = bounds.sendable(generated);
    bool stalled = false;
    for (;;) {
      if (plan.cut_at && sent >= *plan.cut_at) {
        SERENADE_LOG(info, "sim_stream_dropped", "task", t.id, "bytes", sent);
        ex.abort();
        co_return;
      }
      if (plan.stall_at && sent >= *plan.stall_at) {
        SERENADE_LOG(info, "sim_stream_stalled", "task", t.id, "bytes", sent, "seconds", plan.stall_seconds);
        plan.stall_at.reset();
        timer.expires_after(seconds_of(plan.stall_seconds));
        co_await timer.async_wait(asio::use_awaitable);
        stalled = true;  // generation went on meanwhile: look again before sending
        break;
      }
      if (sent >= available) break;
      std::uint64_t limit = available;
      if (plan.cut_at) limit = std::min(limit, *plan.cut_at);
      if (plan.stall_at) limit = std::min(limit, *plan.stall_at);
      const auto end = bounds.chunk_end(sent, static_cast<std::size_t>(limit), replaying);
      const auto n = end - sent;
      if (!co_await ex.write_chunk({reinterpret_cast<const char*>(audio.data() + sent), n})) co_return;
      sent += n;
      t.bytes_streamed += n;
    }
    if (stalled) continue;
    replaying = false;
    if (sent == audio.size()) {
      if (plan.end == stream_end_mode::close) {
        ++t.stream_unframed_ends;
        ex.abort();
        co_return;
      }
      co_await ex.finish_chunked();
      ++t.stream_final_chunks;
      co_return;
    }
    timer.expires_after(seconds_of(bounds.pause(options)));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<void> stream(context& ctx, http::exchange& ex, const http::route_params& p) {
  if (auto refusal = ctx.refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
  auto t = ctx.tasks.find(p.get("task_id"));
  if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
  const auto m = moment_now(ctx.options, *t);
  if (m.expired || m.status == "FAILURE") {
    ++t->stream_gone;
    co_return co_await ex.respond(error_response(404, "Not found"));
  }
  if (!t->streaming || !m.stream_open) {
    ++t->stream_not_ready;
    co_return co_await ex.respond(error_response(400, "Track not ready for streaming"));
  }
  ++t->open_streams;
  const int earlier = t->total_streams++;
  auto& open_streams = t->open_streams;
  BOOST_SCOPE_EXIT_ALL(&open_streams) { --open_streams; };
  auto plan = plan_connection(*t, earlier);
  if (plan.answer_delay > 0 && !co_await http::until_peer_leaves(ex, pause_for(plan.answer_delay))) {
    ex.abort();
    co_return;
  }
  http::header_list headers{{"Content-Type", "audio/mpeg"}, {"Cache-Control", "no-cache"}};
  co_await ex.start_chunked(200, std::move(headers));
  if (!co_await http::until_peer_leaves(ex, pump(ctx.options, ex, *t, std::move(plan)))) ex.abort();
}

}  // namespace

void add_stream_route(http::router& r, context& ctx) { r.add("GET", "/stream/{task_id}", http::with_context(ctx, stream)); }

}  // namespace serenade::sim
