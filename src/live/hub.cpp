#include "live/hub.hpp"

#include "archive/capture_file.hpp"
#include "core/backoff.hpp"
#include "core/blocking_pool.hpp"
#include "core/log.hpp"
#include "core/task_group.hpp"
#include "live/replay.hpp"
#include "live/upstream_end.hpp"
#include "sonauto/client.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>

namespace serenade::live {

namespace asio = boost::asio;

namespace {
constexpr std::size_t read_piece = 16 * 1024;
// A step larger than this is not kept in memory: its listeners read it from the file. Only a wake limit far
// above the upstream's pieces makes steps this large.
constexpr std::size_t max_edge_bytes = 256 * 1024;

}  // namespace

struct hub::show_timer {
  explicit show_timer(asio::any_io_executor executor) : timer(std::move(executor)) {}
  asio::steady_timer timer;
  bool armed = false;
};

hub::hub(asio::any_io_executor executor, std::string session_id, std::string task_id, sonauto::client& client,
         const hub_options& options, hub_counters& counters)
    : executor_(std::move(executor)),
      session_id_(std::move(session_id)),
      task_id_(std::move(task_id)),
      client_(client),
      options_(options),
      counters_(counters),
      coalescer_(options.wake),
      show_timer_(std::make_unique<show_timer>(executor_)) {}

hub::~hub() = default;

void hub::open_capture() {
  file_ = std::make_unique<archive::capture_file>(options_.capture_dir, options_.archive_dir, session_id_);
  // After a restart the partial capture is kept: the upstream replay is checked against it.
  captured_ = file_->resumed_size();
  size_ = file_->resumed_size();
  // Its frames were not seen: a replay that differs restarts it.
  if (file_->resumed_size() > 0) frames_.give_up();
}

void hub::start(core::task_group& background) {
  open_capture();
  ++counters_.captures_started;
  if (size_.load() > 0) ++counters_.captures_resumed;
  SERENADE_LOG(info, "capture_start", "session", session_id_, "task", task_id_, "resumed_bytes", size_.load());
  // Shutdown cancels it: the partial capture stays and resumes at the next start.
  const bool started = background.spawn(executor_, capture(), [self = shared_from_this()](std::exception_ptr error) {
    if (!error) return;
    log::failure(error, "capture_failed", "session", self->session_id_);
    self->abandon("internal error");
  });
  if (!started) throw std::runtime_error("the service is stopping");
}

void hub::open_for_test() {
  open_capture();
  any_bytes_ = true;
  frames_.give_up();
}

void hub::append_for_test(std::string_view bytes) {
  if (append(bytes)) captured(bytes);
}

void hub::restart_for_test() {
  discard_capture();
  restart_capture();
}

void hub::end_for_test(hub_state state) {
  if (state == hub_state::abandoned) {
    abandon("ended by the test");
  } else {
    publish(state);
  }
}

void hub::notify_beyond(std::uint64_t known, std::uint64_t seen_epoch, core::waiter_list::on_executor wake) {
  waiters_.add_unless([&] { return size() > known || epoch() != seen_epoch || state() != hub_state::capturing; },
                      std::move(wake));
}

// The end of the capture shows what is pending with it: listeners must not wait for a deadline to hear the end.
void hub::publish(hub_state state) {
  if (coalescer_.pending_bytes() > 0) show_captured(true);
  waiters_.change_and_wake([&] { state_.store(state, std::memory_order_release); });
}

std::string hub::failure() const {
  return waiters_.locked([&] { return failure_; });
}

std::shared_ptr<const edge_piece> hub::edge() const {
  return waiters_.locked([&] { return edge_; });
}

void hub::captured(std::span<const char> bytes) {
  if (!bytes.empty()) ++counters_.capture_pieces;
  frames_.feed(bytes);
  if (pending_kept_ && pending_.size() + bytes.size() <= max_edge_bytes) {
    pending_.append(bytes.data(), bytes.size());
  } else {
    pending_kept_ = false;
    std::string().swap(pending_);
  }
  if (coalescer_.captured(bytes.size(), std::chrono::steady_clock::now())) {
    show_captured();
    return;
  }
  if (show_timer_->armed) return;  // it fires no later than the deadline of what is pending, and re-arms
  const auto deadline = coalescer_.deadline();
  if (!deadline) return;
  show_timer_->armed = true;
  show_timer_->timer.expires_at(*deadline);
  show_timer_->timer.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!self) return;
    self->show_timer_->armed = false;
    if (!error) self->show_when_due();
  });
}

void hub::show_when_due() {
  if (coalescer_.due(std::chrono::steady_clock::now())) {
    show_captured();
    return;
  }
  // What was pending when the timer was armed has been shown since; newer bytes have a later deadline.
  if (coalescer_.pending_bytes() > 0) captured({});
}

void hub::show_captured(bool everything) {
  const auto offset = size();
  const auto captured_end = offset + coalescer_.pending_bytes();
  auto shown_end = captured_end;
  if (!everything && !frames_.lost()) shown_end = std::clamp(frames_.whole_end(), offset, captured_end);
  if (shown_end == offset) return;  // only part of a frame so far: it is shown once whole
  const auto kept_back = static_cast<std::size_t>(captured_end - shown_end);
  ++counters_.live_steps;
  auto piece = std::make_shared<edge_piece>();
  piece->epoch = epoch();
  piece->offset = offset;
  if (pending_kept_) {
    piece->bytes = pending_.substr(0, pending_.size() - kept_back);
    pending_.erase(0, pending_.size() - kept_back);
  } else {
    // The step was too large to keep: its bytes are read from the file, and so are the kept-back ones'.
    pending_.clear();
    pending_kept_ = kept_back == 0;
  }
  coalescer_.shown();
  // Not captured_: the disk pool may have appended bytes whose captured() call has not come yet.
  if (kept_back > 0) coalescer_.captured(kept_back, std::chrono::steady_clock::now());
  waiters_.change_and_wake([&] {
    size_.store(shown_end, std::memory_order_release);
    edge_ = std::move(piece);
  });
}

void hub::abandon(std::string reason) {
  SERENADE_LOG(warn, "capture_abandoned", "session", session_id_, "bytes", captured_.load(), "reason", reason);
  waiters_.locked([&] { failure_ = std::move(reason); });
  publish(hub_state::abandoned);
}

bool hub::append(std::span<const char> bytes) {
  const auto appended = file_->append(bytes);
  captured_.fetch_add(appended.written, std::memory_order_acq_rel);
  counters_.capture_bytes += appended.written;
  if (!appended.error) return true;
  ++counters_.capture_write_failures;
  SERENADE_LOG(error, "capture_write_failed", "session", session_id_, "error", appended.error.message());
  return false;
}

void hub::discard_capture() {
  if (const auto error = file_->truncate()) {
    SERENADE_LOG(error, "capture_truncate_failed", "session", session_id_, "error", error.message());
  }
}

void hub::restart_capture() {
  frames_ = frame_cursor{};
  if (any_bytes_) frames_.give_up();
  std::string().swap(pending_);
  pending_kept_ = true;
  coalescer_.shown();
  captured_.store(0, std::memory_order_release);
  waiters_.change_and_wake([&] {
    edge_.reset();
    size_.store(0, std::memory_order_release);
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    state_.store(hub_state::capturing, std::memory_order_release);
  });
}

void hub::cut_to_whole_frames() {
  const auto whole_end = frames_.whole_end();
  const auto dropped = static_cast<std::size_t>(captured_.load() - whole_end);
  frames_.cut_to_whole_end();
  captured_.store(whole_end, std::memory_order_release);
  // What was cut was never shown: it is the end of what is pending.
  const auto still_pending = coalescer_.pending_bytes() - dropped;
  if (pending_kept_) pending_.resize(pending_.size() - dropped);
  coalescer_.shown();
  if (still_pending > 0) coalescer_.captured(still_pending, std::chrono::steady_clock::now());
}

asio::awaitable<bool> hub::truncate_to_whole_frames() {
  auto cut = [&, whole_end = frames_.whole_end()] { return file_->truncate(whole_end); };
  if (const auto error = co_await core::run_on(options_.disk, cut)) {
    SERENADE_LOG(error, "capture_truncate_failed", "session", session_id_, "error", error.message());
    co_return false;
  }
  cut_to_whole_frames();
  co_return true;
}

void hub::take_back() {
  taken_back_.store(true, std::memory_order_release);
  waiters_.locked([&] { failure_ = "the song was deleted"; });
  waiters_.change_and_wake([&] {
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    state_.store(hub_state::abandoned, std::memory_order_release);
  });
}

void hub::store_capture() {
  if (taken_back()) return;
  if (const auto error = file_->keep_as_live_copy()) {
    SERENADE_LOG(error, "capture_rename_failed", "session", session_id_, "error", error.message());
  }
}

void hub::finish_capture(capture_end how) {
  ++counters_.captures_completed;
  std::string_view end = "final_chunk";
  if (how == capture_end::final_chunk) {
    ++counters_.captures_ended_final_chunk;
  } else if (how == capture_end::cut_after_generation) {
    ++counters_.captures_ended_cut;
    end = "cut_after_generation";
  } else if (how == capture_end::expired) {
    ++counters_.captures_ended_expired;
    end = "expired";
  }
  SERENADE_LOG(info, "capture_complete", "session", session_id_, "bytes", captured_.load(), "end", end);
  publish(hub_state::complete);
}

// The status endpoint's word on the task, when it answers.
asio::awaitable<std::optional<sonauto::task_status>> hub::upstream_status() {
  auto report = co_await client_.status(task_id_);
  if (!report) {
    SERENADE_LOG(info, "capture_status_unknown", "session", session_id_, "error", report.error().describe());
    co_return std::nullopt;
  }
  co_return report.value().status;
}

asio::awaitable<sonauto::outcome<std::unique_ptr<sonauto::upstream_stream>>> hub::open_upstream(
    const std::optional<std::string>& origin) {
  if (!origin) co_return co_await client_.open_stream(task_id_);
  ++counters_.edge_connections;
  co_return co_await client_.open_stream_at(*origin, options_.origin_headers);
}

asio::awaitable<void> hub::capture() {
  auto self = shared_from_this();
  asio::steady_timer pause(co_await asio::this_coro::executor);
  std::array<char, read_piece> piece{};
  const auto ready_grace_ends = std::chrono::steady_clock::now() + options_.ready_grace;
  int attempts_without_progress = 0;
  for (int connection = 0;; ++connection) {
    if (connection > 0) {
      ++counters_.upstream_reconnects;
      pause.expires_after(core::backoff{options_.first_backoff, options_.max_backoff}.delay(attempts_without_progress));
      co_await pause.async_wait(asio::use_awaitable);
    }
    if (taken_back()) co_return;
    if (attempts_without_progress >= options_.max_attempts_without_progress) {
      abandon("the music service's stream kept failing");
      co_return;
    }
    std::optional<std::string> origin;
    if (options_.origin) origin = co_await options_.origin(session_id_);
    auto opened = co_await open_upstream(origin);
    if (!opened) {
      const auto& f = opened.error();
      ++attempts_without_progress;
      SERENADE_LOG(warn, "capture_upstream_refused", "session", session_id_, "error", f.describe(), "edge",
                   origin.has_value());
      // Sonauto's word on the task says nothing about another instance's relay: ask again where to read from.
      if (origin || f.kind != sonauto::failure_kind::http_status) continue;
      const auto status = co_await upstream_status();
      const connection_end end{.refused = true,
                               .refusal_status = f.status,
                               .captured_any = captured_.load() > 0,
                               .within_ready_grace = std::chrono::steady_clock::now() < ready_grace_ends,
                               .upstream_status = status};
      const auto verdict = judge_connection_end(end);
      if (verdict == end_verdict::retry) continue;
      if (verdict == end_verdict::complete) {
        co_await complete_capture(capture_end::expired);
        co_return;
      }
      abandon(status == sonauto::task_status::failure
                  ? std::string("the music service could not finish this song")
                  : "The music service refused the stream (HTTP " + std::to_string(f.status) + "): " +
                        log::outside_text(f.detail));
      co_return;
    }
    auto upstream = std::move(opened).value();
    ++counters_.upstream_connections_open;
    std::uint64_t position = 0;  // bytes of this connection's replay consumed
    const auto size_at_connect = captured_.load();
    bool clean_end = false;
    bool restart = false;
    frame_cursor replay;                          // this connection's frames
    std::optional<std::uint64_t> continue_at;     // a replay that differed: the frame the capture goes on from
    bool spliced = false;                         // that frame was found: everything from it on is appended
    bool abandoned = false;                       // appending failed: the capture was abandoned
    for (;;) {
      auto got = co_await upstream->read_some({piece.data(), piece.size()});
      if (taken_back()) {
        SERENADE_LOG(info, "capture_taken_back", "session", session_id_);
        co_return;
      }
      if (!got) {
        SERENADE_LOG(info, "capture_upstream_dropped", "session", session_id_, "bytes", captured_.load(), "error",
                     got.error().describe());
        break;
      }
      const auto n = got.value();
      if (n == 0) {
        clean_end = true;
        break;
      }
      const std::span<const char> data{piece.data(), n};
      position += n;
      if (spliced) {
        abandoned = !co_await append_upstream(data);
        if (abandoned) break;
        continue;
      }
      if (!continue_at) {
        const auto split = split_replay(position - n, captured_.load(), n);
        // The disk work runs elsewhere while this coroutine waits; named lambdas (GCC bug 100611).
        auto verify = [&] { return file_->holds(split.verify_offset, {piece.data(), split.verify_length}); };
        if (split.verify_length == 0 || co_await core::run_on(options_.disk, verify)) {
          replay.feed(data);
          abandoned = !co_await append_upstream(data.subspan(static_cast<std::size_t>(split.verify_length)));
          if (abandoned) break;
          continue;
        }
        ++counters_.replay_mismatches;
        if (frames_.lost() || replay.lost()) {
          restart = true;
          break;
        }
        // Another encode: cut the capture back to its last whole frame (never shown past it) and go on from the
        // same frame of this stream.
        if (!co_await truncate_to_whole_frames()) {
          restart = true;
          break;
        }
        continue_at = frames_.whole_frames();
      }
      // Looking for the frame to go on from: the one that follows the capture's last in time.
      const auto from = *continue_at;
      const frame_cursor::stop_rule splice_point = [from](std::uint64_t index) { return index >= from; };
      const auto taken = replay.feed(data, splice_point);
      if (replay.lost()) {
        restart = true;
        break;
      }
      if (taken == n && replay.held().empty()) continue;
      std::string from_splice = replay.held();
      from_splice.append(data.data() + taken, n - taken);
      spliced = true;
      ++counters_.replay_splices;
      SERENADE_LOG(warn, "capture_replay_spliced", "session", session_id_, "at_byte", captured_.load(), "frame", from);
      abandoned = !co_await append_upstream(from_splice);
      if (abandoned) break;
    }
    upstream->close();
    --counters_.upstream_connections_open;
    if (abandoned) co_return;
    if (restart) {
      SERENADE_LOG(warn, "capture_replay_mismatch", "session", session_id_, "discarded_bytes", captured_.load());
      auto discard = [&] { discard_capture(); };
      co_await core::run_on(options_.disk, discard);
      restart_capture();
      continue;
    }
    // After a splice the new encode's length says nothing about the capture's; one that ended before the frame
    // to go on from had no more of the song.
    if (clean_end && (continue_at || position >= captured_.load())) {
      co_await complete_capture(capture_end::final_chunk);
      co_return;
    }
    if (!clean_end && origin) {
      ++counters_.upstream_drops;  // the owner went away or let its listeners go: ask again where to read from
    } else if (!clean_end) {
      const auto status = co_await upstream_status();
      const connection_end end{.refused = false,
                               .refusal_status = 0,
                               .captured_any = captured_.load() > 0,
                               .within_ready_grace = false,
                               .upstream_status = status};
      const auto verdict = judge_connection_end(end);
      if (verdict == end_verdict::complete) {
        co_await complete_capture(capture_end::cut_after_generation);
        co_return;
      }
      // A cut once the song was generated is how the stream ends; only a cut mid-song is a drop.
      ++counters_.upstream_drops;
      if (verdict == end_verdict::abandon) {
        abandon("the music service could not finish this song");
        co_return;
      }
    }
    attempts_without_progress = captured_.load() > size_at_connect ? 0 : attempts_without_progress + 1;
  }
}

asio::awaitable<bool> hub::append_upstream(std::span<const char> bytes) {
  if (bytes.empty()) co_return true;
  if (captured_.load() + bytes.size() > options_.max_capture_bytes) {
    // Whatever the upstream sends, a song is not allowed to fill the disk.
    ++counters_.captures_too_large;
    abandon("the song is larger than --max-song-bytes");
    co_return false;
  }
  auto write = [&] { return append(bytes); };
  if (!co_await core::run_on(options_.disk, write)) {
    abandon("the song could not be written to the archive");
    co_return false;
  }
  captured(bytes);
  co_return true;
}

asio::awaitable<void> hub::complete_capture(capture_end how) {
  // A cut may fall inside a frame; the song ends on its last whole one, which is all a listener was shown.
  if (how != capture_end::final_chunk && !frames_.lost() && frames_.whole_end() < captured_.load()) {
    co_await truncate_to_whole_frames();  // on failure the partial frame stays: a decoder skips it
  }
  auto store = [&] { store_capture(); };
  co_await core::run_on(options_.disk, store);
  finish_capture(how);
}

}  // namespace serenade::live
