#include "lifecycle/submissions.hpp"

#include "core/blocking_pool.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "lifecycle/prompt.hpp"
#include "lifecycle/task_status.hpp"
#include "sonauto/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

namespace serenade::lifecycle {

namespace asio = boost::asio;

namespace {

// Translates a refused create into what the person should read. The upstream's own words are only passed on
// for 422 (their request was invalid); everything else is our problem, not theirs.
create_outcome refused(const sonauto::failure& f) {
  using sonauto::failure_kind;
  if (f.kind == failure_kind::http_status) {
    switch (f.status) {
      case 422: return {422, "The song service could not accept this story: " + f.detail, std::nullopt, {}};
      case 401:
      case 403:
        SERENADE_LOG(error, "sonauto_auth_refused", "status", f.status, "hint", "check SONAUTO_API_KEY");
        return {503, "The song service is misconfigured. Please try again later.", std::nullopt, {}};
      case 402:
        SERENADE_LOG(error, "sonauto_out_of_credits");
        return {503, "The song service is out of credits. Please try again later.", std::nullopt, {}};
      case 429: return {503, "The song service is busy. Please try again in a minute.", std::nullopt, {}};
      default: break;
    }
  }
  if (f.kind == failure_kind::timeout) {
    return {504, "The song service took too long to answer. Please try again.", std::nullopt, {}};
  }
  return {503, "The song service cannot be reached right now. Please try again shortly.", std::nullopt, {}};
}

constexpr int lost_task_polls = 20;  // consecutive "not found" answers before a task is declared lost
constexpr int create_attempts = 3;

// Worth asking again: Sonauto is busy or broken for a moment, or the request never left. A timeout after the
// request was sent is not retried: the generation may exist already, and each one is paid for.
bool worth_retrying(const sonauto::failure& f) {
  using sonauto::failure_kind;
  if (f.kind == failure_kind::http_status) return f.status == 429 || f.status >= 500;
  if (f.kind == failure_kind::resolve || f.kind == failure_kind::connect) return true;
  if (f.kind == failure_kind::timeout) return f.stage == sonauto::stage::connect || f.stage == sonauto::stage::resolve;
  return false;
}

}  // namespace

submissions::submissions(asio::any_io_executor executor, store::submission_store& store, core::blocking_pool& pool,
                         sonauto::client& client, lifecycle_options options)
    : executor_(std::move(executor)),
      store_(store),
      pool_(pool),
      client_(client),
      options_(std::move(options)),
      guards_(options_.guards) {}

// Concurrent submits with the same key: one leads (creates), the others wait for it, then find its row.
struct submissions::flight {
  std::mutex mutex;
  bool done = false;
  std::vector<std::function<void()>> waiters;
};

asio::awaitable<create_outcome> submissions::create(const submission_form& form, const create_request& who) {
  if (!who.idempotency_key) co_return co_await create_once(form, who);
  const auto& key = *who.idempotency_key;
  const auto flight_key = who.client + '\0' + key;
  const auto repeat = [&]() -> asio::awaitable<std::optional<create_outcome>> {
    auto found = co_await pool_.run([&] { return store_.find_by_idempotency_key(who.client, key); });
    if (!found) co_return std::nullopt;
    co_return create_outcome{200, {}, std::move(found), std::chrono::seconds(0)};
  };
  for (;;) {
    if (auto earlier = co_await repeat()) co_return std::move(*earlier);
    std::shared_ptr<flight> current;
    bool leader = false;
    {
      std::lock_guard lock(flights_mutex_);
      auto& slot = flights_[flight_key];
      if (!slot) {
        slot = std::make_shared<flight>();
        leader = true;
      }
      current = slot;
    }
    if (!leader) {
      auto wake = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
      wake->expires_at(asio::steady_timer::time_point::max());
      bool already_done = false;
      {
        std::lock_guard lock(current->mutex);
        already_done = current->done;
        if (!already_done) {
          current->waiters.emplace_back([wake] { asio::post(wake->get_executor(), [wake] { wake->cancel(); }); });
        }
      }
      if (!already_done) co_await wake->async_wait(asio::as_tuple(asio::use_awaitable));
      continue;  // the leader finished: its row is there, or it was refused and one of us leads next
    }
    // Ends the flight however the leader leaves (answer, exception, cancellation).
    struct landing {
      submissions& self;
      std::string key;
      std::shared_ptr<flight> f;
      ~landing() {
        {
          std::lock_guard lock(self.flights_mutex_);
          self.flights_.erase(key);
        }
        std::vector<std::function<void()>> waiters;
        {
          std::lock_guard lock(f->mutex);
          f->done = true;
          waiters.swap(f->waiters);
        }
        for (auto& w : waiters) w();
      }
    } land{*this, flight_key, current};
    if (auto earlier = co_await repeat()) co_return std::move(*earlier);  // a previous leader just landed
    co_return co_await create_once(form, who);
  }
}

asio::awaitable<create_outcome> submissions::create_once(const submission_form& form, const create_request& who) {
  auto admitted = guards_.admit(who.client);
  if (!admitted) {
    const auto& r = *admitted.refused;
    switch (r.by) {
      case refusal::guard::client_rate: ++counters_.refused_client_rate; break;
      case refusal::guard::generating_cap: ++counters_.refused_generating_cap; break;
      case refusal::guard::daily_budget: ++counters_.refused_daily_budget; break;
    }
    SERENADE_LOG(info, "submission_limited", "guard", name(r.by), "retry_after_s", r.retry_after.count());
    co_return create_outcome{429, r.detail, std::nullopt, r.retry_after};
  }
  store::submission s;
  s.session_id = ids::random_token();
  s.sender = form.sender;
  s.recipient = form.recipient;
  s.story = form.story;
  s.style = form.style;
  s.prompt = compose_prompt(form);
  if (who.idempotency_key) {
    s.client_key = who.client;
    s.idempotency_key = who.idempotency_key;
  }

  sonauto::generation_request request;
  request.prompt = s.prompt;
  if (!options_.webhook_url.empty()) request.webhook_url = options_.webhook_url;
  auto created = co_await create_with_retries(request, s.session_id);
  if (!created) {
    const auto& f = created.error();
    SERENADE_LOG(warn, "generation_refused", "session", s.session_id, "error", f.describe());
    const bool request_was_sent = (f.kind == sonauto::failure_kind::timeout || f.kind == sonauto::failure_kind::protocol) &&
                                  (f.stage == sonauto::stage::read_header || f.stage == sonauto::stage::read_body);
    guards_.upstream_refused(admitted, request_was_sent);
    if (f.kind == sonauto::failure_kind::http_status && f.status == 402) ++counters_.upstream_out_of_credits;
    if (f.kind == sonauto::failure_kind::http_status && (f.status == 401 || f.status == 403)) {
      ++counters_.upstream_misconfigured;
    }
    co_return refused(f);
  }
  s.task_id = created.value();
  s.status = "RECEIVED";
  s.created_at = s.updated_at = store::now();
  bool lost_race = false;
  try {
    co_await pool_.run([&] { store_.insert(s); });
  } catch (const store::duplicate_key&) {
    lost_race = true;  // another Serenade process stored this idempotency key first
  }
  if (lost_race) {
    guards_.generation_ended();
    SERENADE_LOG(warn, "idempotent_create_raced", "session", s.session_id, "task", *s.task_id);
    auto winner = co_await pool_.run([&] { return store_.find_by_idempotency_key(who.client, *who.idempotency_key); });
    co_return create_outcome{200, {}, std::move(winner), std::chrono::seconds(0)};
  }
  SERENADE_LOG(info, "submission_created", "session", s.session_id, "task", *s.task_id);
  follow(s.session_id, *s.task_id, s.status);
  co_return create_outcome{201, {}, std::move(s), std::chrono::seconds(0)};
}

asio::awaitable<sonauto::outcome<std::string>> submissions::create_with_retries(
    const sonauto::generation_request& request, const std::string& session_id) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  std::minstd_rand jitter(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    auto created = co_await client_.create_generation(request);
    if (created || attempt == create_attempts || !worth_retrying(created.error())) co_return created;
    const auto delay = std::chrono::milliseconds(400 * (1 << (attempt - 1)) + static_cast<int>(jitter() % 250));
    SERENADE_LOG(info, "generation_retry", "session", session_id, "attempt", attempt, "delay_ms", delay.count(),
                 "error", created.error().describe());
    pause.expires_after(delay);
    co_await pause.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<std::optional<store::submission>> submissions::find(std::string_view session_id) {
  co_return co_await pool_.run([&] { return store_.find(session_id); });
}

asio::awaitable<void> submissions::resume_unfinished() {
  // Today's budget counts what was created before a restart.
  const auto today = std::chrono::time_point_cast<std::chrono::milliseconds>(guards_.budget().start_of_today());
  const auto spent = co_await pool_.run([&] { return store_.count_created_since(today); });
  guards_.budget().restore(spent);
  auto open = co_await pool_.run([this] { return store_.unfinished(); });
  for (auto& s : open) {
    SERENADE_LOG(info, "submission_resumed", "session", s.session_id, "task", *s.task_id, "status", s.status);
    guards_.generation_resumed();
    follow(s.session_id, *s.task_id, s.status);
  }
}

// One per unfinished task: polls its status (often until a webhook shows up, rarely after), records changes
// in order, and is woken early by webhook hints. Only it writes the task's status, so states never go back.
struct submissions::follower {
  std::string session_id;
  std::string task_id;
  std::string last_status;
  std::shared_ptr<asio::steady_timer> wake;
  std::atomic<bool> webhooks_seen{false};
};

void submissions::follow(std::string session_id, std::string task_id, std::string last_status) {
  auto strand = asio::make_strand(executor_);
  auto f = std::make_shared<follower>();
  f->session_id = std::move(session_id);
  f->task_id = std::move(task_id);
  f->last_status = std::move(last_status);
  f->wake = std::make_shared<asio::steady_timer>(strand);
  {
    std::lock_guard lock(followers_mutex_);
    followers_[f->task_id] = f;
  }
  asio::co_spawn(strand, poll_until_finished(f), [this, f](std::exception_ptr error) {
    guards_.generation_ended();
    {
      std::lock_guard lock(followers_mutex_);
      if (auto it = followers_.find(f->task_id); it != followers_.end() && it->second == f) followers_.erase(it);
    }
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      SERENADE_LOG(error, "follower_failed", "session", f->session_id, "error", e.what());
    }
  });
}

bool submissions::hint(std::string_view task_id) {
  std::shared_ptr<follower> f;
  {
    std::lock_guard lock(followers_mutex_);
    if (auto it = followers_.find(std::string(task_id)); it != followers_.end()) f = it->second;
  }
  if (!f) return false;
  f->webhooks_seen = true;
  asio::post(f->wake->get_executor(), [wake = f->wake] { wake->cancel(); });
  return true;
}

asio::awaitable<void> submissions::record(follower& f, store::status_update update) {
  co_await pool_.run([&] { return store_.record_status(f.session_id, update); });
  SERENADE_LOG(info, "status_changed", "session", f.session_id, "task", f.task_id, "status", update.status);
  co_await announce(f.session_id);
}

asio::awaitable<void> submissions::announce(const std::string& session_id) {
  if (!options_.on_change) co_return;
  auto now = co_await pool_.run([&] { return store_.find(session_id); });
  if (now) options_.on_change(*now);
}

// Sonauto writes the lyrics (and tags) in its PROMPT stage; they are shown as soon as they exist.
asio::awaitable<bool> submissions::fetch_lyrics(follower& f) {
  auto result = co_await client_.result(f.task_id);
  if (!result || !result.value().lyrics || result.value().lyrics->empty()) co_return false;
  const auto& r = result.value();
  co_await pool_.run([&] { return store_.record_lyrics(f.session_id, *r.lyrics, r.tags); });
  SERENADE_LOG(info, "lyrics_known", "session", f.session_id, "chars", r.lyrics->size());
  co_await announce(f.session_id);
  co_return true;
}

asio::awaitable<create_outcome> submissions::retry(std::string_view session_id, const create_request& who) {
  auto existing = co_await pool_.run([&] { return store_.find(session_id); });
  if (!existing) co_return create_outcome{404, "Session not found", std::nullopt, std::chrono::seconds(0)};
  if (existing->status != "FAILURE") {
    co_return create_outcome{409, "Only a song that could not be finished can be tried again.", std::nullopt,
                             std::chrono::seconds(0)};
  }
  auto admitted = guards_.admit(who.client);
  if (!admitted) {
    const auto& r = *admitted.refused;
    co_return create_outcome{429, r.detail, std::nullopt, r.retry_after};
  }
  sonauto::generation_request request;
  request.prompt = existing->prompt;
  if (!options_.webhook_url.empty()) request.webhook_url = options_.webhook_url;
  auto created = co_await create_with_retries(request, existing->session_id);
  if (!created) {
    guards_.upstream_refused(admitted, false);
    co_return refused(created.error());
  }
  if (options_.on_retry) options_.on_retry(existing->session_id);
  const auto task = created.value();
  const bool restarted =
      co_await pool_.run([&] { return store_.restart_generation(existing->session_id, task, store::now()); });
  if (!restarted) {
    guards_.generation_ended();
    co_return create_outcome{409, "This song is being tried again already.", std::nullopt, std::chrono::seconds(0)};
  }
  SERENADE_LOG(info, "submission_retried", "session", existing->session_id, "task", task, "attempt",
               existing->attempts + 1);
  follow(existing->session_id, task, "RECEIVED");
  co_await announce(existing->session_id);
  auto now = co_await pool_.run([&] { return store_.find(existing->session_id); });
  co_return create_outcome{200, {}, std::move(now), std::chrono::seconds(0)};
}

asio::awaitable<void> submissions::poll_until_finished(std::shared_ptr<follower> f) {
  int not_found = 0;
  bool capture_started = false;
  bool lyrics_known = false;
  auto last_progress = std::chrono::steady_clock::now();
  for (;;) {
    f->wake->expires_after(f->webhooks_seen ? options_.poll_interval_with_webhooks : options_.poll_interval);
    co_await f->wake->async_wait(asio::as_tuple(asio::use_awaitable));  // a webhook hint cancels it: poll now
    auto polled = co_await client_.status(f->task_id);
    if (!polled) {
      const auto& failure = polled.error();
      if (failure.kind == sonauto::failure_kind::http_status && failure.status == 404 &&
          ++not_found >= lost_task_polls) {
        SERENADE_LOG(warn, "generation_lost", "session", f->session_id, "task", f->task_id);
        store::status_update lost{"FAILURE", std::nullopt, store::now(), "The song was lost by the music service."};
        co_await record(*f, std::move(lost));
        co_return;
      }
      SERENADE_LOG(debug, "status_poll_failed", "session", f->session_id, "error", failure.describe());
      continue;
    }
    not_found = 0;
    const std::string status = std::move(polled).value();
    if (!capture_started && is_stream_ready(status) && options_.on_stream_ready) {
      capture_started = options_.on_stream_ready(f->session_id, f->task_id);
    }
    // A late or reordered answer never moves a song backwards.
    const bool stale = !f->last_status.empty() && status_rank(status) < status_rank(f->last_status);
    if (status == f->last_status || stale) {
      if (std::chrono::steady_clock::now() - last_progress > options_.stall_timeout) {
        SERENADE_LOG(warn, "generation_stalled", "session", f->session_id, "task", f->task_id, "status", status);
        store::status_update timed_out{"FAILURE", std::nullopt, store::now(),
                                       "The song took too long to be written. Please try again."};
        co_await record(*f, std::move(timed_out));
        co_return;
      }
      continue;
    }
    f->last_status = status;
    last_progress = std::chrono::steady_clock::now();

    store::status_update update{status, std::nullopt, std::nullopt, std::nullopt};
    const auto now = store::now();
    if (is_stream_ready(status)) update.streaming_ready_at = now;
    if (is_finished(status)) update.completed_at = now;
    if (status == "FAILURE") {
      auto detail = co_await client_.result(f->task_id);
      update.error = detail && detail.value().error_message ? *detail.value().error_message
                                                             : "The music service could not finish this song.";
    }
    co_await record(*f, std::move(update));
    if (!lyrics_known && status != "FAILURE" && status_rank(status) >= status_rank("PROMPT")) {
      lyrics_known = co_await fetch_lyrics(*f);
    }
    if (status == "SUCCESS" && options_.on_success) options_.on_success(f->session_id, f->task_id);
    if (is_finished(status)) co_return;
  }
}

}  // namespace serenade::lifecycle
