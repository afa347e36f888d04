#include "lifecycle/task_follower.hpp"

#include "core/backoff.hpp"
#include "core/blocking_pool.hpp"
#include "core/log.hpp"
#include "core/task_group.hpp"
#include "core/wake_event.hpp"
#include "lifecycle/lasting_writes.hpp"
#include "sonauto/client.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <atomic>
#include <random>
#include <vector>

namespace serenade::lifecycle {

namespace asio = boost::asio;

namespace {
constexpr int lost_task_polls = 20;  // consecutive "not found" answers before a task is declared lost
// Sonauto's rate limit is not documented: after a 429 the follower waits longer each time, up to this.
constexpr std::chrono::seconds max_rate_limited_pause{60};
constexpr std::chrono::seconds hint_all_spacing{1};
}  // namespace

struct task_followers::follower {
  std::string session_id;
  std::string task_id;
  task_status last_status;
  std::function<bool()> held;  // empty: this process has the database alone
  std::unique_ptr<core::wake_event> hinted;  // a webhook hint: poll now
  std::atomic<bool> webhooks_seen{false};
  std::atomic<bool> taken_back{false};  // its maker deleted the song: stop at once, writing nothing
};

struct task_followers::held_round {
  explicit held_round(asio::any_io_executor executor) : timer(std::move(executor)) {}
  asio::steady_timer timer;
  bool armed = false;
};

void task_followers::hint_all() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (now >= next_hint_all_) {
    wake_all_locked(now);
    return;
  }
  // Too soon after the last round: one more round when the spacing allows, for however many hints came.
  if (held_round_->armed) return;
  held_round_->armed = true;
  held_round_->timer.expires_at(next_hint_all_);
  held_round_->timer.async_wait([this](const boost::system::error_code& error) {
    if (error) return;  // cancelled: the followers are being destroyed
    std::lock_guard lock(mutex_);
    held_round_->armed = false;
    wake_all_locked(std::chrono::steady_clock::now());
  });
}

// Webhooks that name no task could come for every change of every song: rounds of status calls they cause are
// spaced, so that they add at most one call per song per spacing to what polling makes anyway.
void task_followers::wake_all_locked(std::chrono::steady_clock::time_point now) {
  next_hint_all_ = now + hint_all_spacing;
  for (const auto& [task, f] : followers_) f->hinted->notify();
}

std::chrono::milliseconds status_poll_pause(const lifecycle_options& options, bool slow_polling, int rate_limited,
                                            std::minstd_rand& jitter) {
  const auto interval = slow_polling ? options.poll_interval_with_webhooks : options.poll_interval;
  if (rate_limited == 0) return interval;
  const core::backoff rate_pause{std::max(options.poll_interval, std::chrono::milliseconds(1000)),
                                 max_rate_limited_pause};
  const auto pause = std::max(interval, rate_pause.delay(rate_limited - 1));
  return pause + std::chrono::milliseconds(jitter() % (pause.count() / 2 + 1));
}

task_followers::task_followers(asio::any_io_executor executor, store::submission_store& store,
                               core::blocking_pool& pool, sonauto::client& client, const lifecycle_options& options,
                               core::task_group& background, std::function<void()> generation_ended)
    : executor_(std::move(executor)),
      store_(store),
      pool_(pool),
      client_(client),
      options_(options),
      background_(background),
      generation_ended_(std::move(generation_ended)),
      held_round_(std::make_unique<held_round>(executor_)) {}

task_followers::~task_followers() = default;

void task_followers::follow(std::string session_id, std::string task_id, task_status last_status,
                            std::function<bool()> held) {
  auto strand = asio::make_strand(executor_);
  auto f = std::make_shared<follower>();
  f->session_id = std::move(session_id);
  f->task_id = std::move(task_id);
  f->last_status = last_status;
  f->held = std::move(held);
  f->hinted = std::make_unique<core::wake_event>(strand);
  {
    std::lock_guard lock(mutex_);
    followers_[f->task_id] = f;
  }
  // Ends when the task does, or when shutdown cancels the group: the song is followed again at the next start.
  const auto ended = [this, f](std::exception_ptr error) {
    generation_ended_();
    {
      std::lock_guard lock(mutex_);
      if (auto it = followers_.find(f->task_id); it != followers_.end() && it->second == f) followers_.erase(it);
    }
    if (error) log::failure(error, "follower_failed", "session", f->session_id);
  };
  if (!background_.spawn(strand, poll_until_finished(f), ended)) ended(nullptr);
}

bool task_followers::hint(std::string_view task_id) {
  std::shared_ptr<follower> f;
  {
    std::lock_guard lock(mutex_);
    if (auto it = followers_.find(std::string(task_id)); it != followers_.end()) f = it->second;
  }
  if (!f) return false;
  f->webhooks_seen = true;
  f->hinted->notify();
  return true;
}

bool task_followers::let_go(std::string_view session_id) {
  std::shared_ptr<follower> f;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [task, candidate] : followers_) {
      if (candidate->session_id == session_id) f = candidate;
    }
  }
  if (!f) return false;
  f->taken_back = true;
  f->hinted->notify();
  return true;
}

bool task_followers::follows(std::string_view session_id) {
  std::lock_guard lock(mutex_);
  for (const auto& [task, f] : followers_) {
    if (f->session_id == session_id) return true;
  }
  return false;
}

asio::awaitable<void> task_followers::record(follower& f, store::status_update update) {
  auto write = [&] { return store_.record_status(f.session_id, update); };
  const bool recorded = co_await through_outages(pool_, write, f.session_id);
  if (!recorded) {
    // The song was taken back, maybe through another instance: what this one holds of it goes too.
    f.taken_back = true;
    SERENADE_LOG(info, "song_let_go", "session", f.session_id, "task", f.task_id, "reason", "taken_back");
    if (options_.on_taken_back) options_.on_taken_back(f.session_id);
    co_return;
  }
  SERENADE_LOG(info, "status_changed", "session", f.session_id, "task", f.task_id, "status", update.status);
  co_await announce(f.session_id);
}

asio::awaitable<void> task_followers::announce(const std::string& session_id) {
  if (!options_.on_change) co_return;
  auto read = [&] { return store_.find(session_id); };
  auto now = co_await through_outages(pool_, read, session_id);
  if (now) options_.on_change(*now);
}

// Sonauto writes the lyrics (and tags) in its PROMPT stage; they are shown as soon as they exist.
asio::awaitable<bool> task_followers::fetch_lyrics(follower& f) {
  auto result = co_await client_.result(f.task_id);
  if (!result || !result.value().lyrics || result.value().lyrics->empty()) co_return false;
  const auto& r = result.value();
  auto write = [&] { return store_.record_lyrics(f.session_id, *r.lyrics, r.tags); };
  co_await through_outages(pool_, write, f.session_id);
  SERENADE_LOG(info, "lyrics_known", "session", f.session_id, "chars", r.lyrics->size());
  co_await announce(f.session_id);
  co_return true;
}

asio::awaitable<void> task_followers::poll_until_finished(std::shared_ptr<follower> f) {
  const auto failed = [](std::string error) {
    return store::status_update{stored_text(task_status::failure), std::nullopt, store::now(), std::move(error)};
  };
  int not_found = 0;
  int rate_limited = 0;
  bool capture_started = false;
  bool lyrics_known = false;
  std::minstd_rand jitter(std::random_device{}());
  auto last_progress = std::chrono::steady_clock::now();
  const auto stalled = [&] { return std::chrono::steady_clock::now() - last_progress > options_.stall_timeout; };
  for (;;) {
    const bool slow_polling = f->webhooks_seen && is_stream_ready(f->last_status);
    const auto pause = status_poll_pause(options_, slow_polling, rate_limited, jitter);
    co_await f->hinted->async_wait_until(std::chrono::steady_clock::now() + pause);
    if (f->taken_back) {
      SERENADE_LOG(info, "song_let_go", "session", f->session_id, "task", f->task_id, "reason", "taken_back");
      co_return;
    }
    if (f->held && !f->held()) {
      SERENADE_LOG(warn, "song_let_go", "session", f->session_id, "task", f->task_id);
      co_return;
    }
    auto polled = co_await client_.status(f->task_id);
    if (!polled) {
      const auto& failure = polled.error();
      const bool answered = failure.kind == sonauto::failure_kind::http_status;
      if (answered && failure.status == 404 && ++not_found >= lost_task_polls) {
        SERENADE_LOG(warn, "generation_lost", "session", f->session_id, "task", f->task_id);
        co_await record(*f, failed("The song was lost by the music service."));
        co_return;
      }
      rate_limited = answered && failure.status == 429 ? rate_limited + 1 : 0;
      SERENADE_LOG(debug, "status_poll_failed", "session", f->session_id, "error", failure.describe());
      // A key revoked or an endpoint gone answers the same error for ever: the song ends like a stalled one.
      if (stalled()) {
        SERENADE_LOG(warn, "generation_unreachable", "session", f->session_id, "task", f->task_id, "error",
                     failure.describe());
        co_await record(*f, failed("The music service stopped answering about this song. Please try again."));
        co_return;
      }
      continue;
    }
    not_found = 0;
    rate_limited = 0;
    const auto report = std::move(polled).value();
    const auto status = report.status;
    if (!capture_started && is_stream_ready(status) && options_.on_stream_ready) {
      capture_started = options_.on_stream_ready(f->session_id, f->task_id);
    }
    // A late or reordered answer never moves a song backwards; a state Serenade does not know never moves it.
    const bool stale = status_rank(status) < status_rank(f->last_status);
    if (status == f->last_status || stale) {
      if (stalled()) {
        SERENADE_LOG(warn, "generation_stalled", "session", f->session_id, "task", f->task_id, "status", report.text);
        co_await record(*f, failed("The song took too long to be written. Please try again."));
        co_return;
      }
      continue;
    }
    f->last_status = status;
    last_progress = std::chrono::steady_clock::now();

    store::status_update update{stored_text(status), std::nullopt, std::nullopt, std::nullopt};
    const auto now = store::now();
    if (is_stream_ready(status)) update.streaming_ready_at = now;
    if (is_finished(status)) update.completed_at = now;
    if (status == task_status::failure) {
      // Sonauto's own words are logged, never shown: anyone with the link reads the song's state.
      auto detail = co_await client_.result(f->task_id);
      if (detail && detail.value().error_message) {
        SERENADE_LOG(warn, "generation_failed", "session", f->session_id, "task", f->task_id, "upstream_error",
                     log::outside_text(*detail.value().error_message));
      }
      update.error = "The music service could not finish this song.";
    }
    co_await record(*f, std::move(update));
    if (f->taken_back) co_return;
    if (!lyrics_known && status != task_status::failure && status_rank(status) >= status_rank(task_status::prompt)) {
      lyrics_known = co_await fetch_lyrics(*f);
    }
    if (status == task_status::success && options_.on_success) options_.on_success(f->session_id, f->task_id);
    if (is_finished(status)) co_return;
  }
}

}  // namespace serenade::lifecycle
