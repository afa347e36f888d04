#include "lifecycle/submissions.hpp"

#include "core/blocking_pool.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "lifecycle/prompt.hpp"
#include "lifecycle/task_status.hpp"
#include "sonauto/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace serenade::lifecycle {

namespace asio = boost::asio;

namespace {

// Translates a refused create into what the person should read. The upstream's own words are only passed on
// for 422 (their request was invalid); everything else is our problem, not theirs.
create_outcome refused(const sonauto::failure& f) {
  using sonauto::failure_kind;
  if (f.kind == failure_kind::http_status) {
    switch (f.status) {
      case 422: return {422, "The song service could not accept this story: " + f.detail, std::nullopt};
      case 401:
      case 403:
        SERENADE_LOG(error, "sonauto_auth_refused", "status", f.status, "hint", "check SONAUTO_API_KEY");
        return {503, "The song service is misconfigured. Please try again later.", std::nullopt};
      case 402:
        SERENADE_LOG(error, "sonauto_out_of_credits");
        return {503, "The song service is out of credits. Please try again later.", std::nullopt};
      case 429: return {503, "The song service is busy. Please try again in a minute.", std::nullopt};
      default: break;
    }
  }
  if (f.kind == failure_kind::timeout) {
    return {504, "The song service took too long to answer. Please try again.", std::nullopt};
  }
  return {503, "The song service cannot be reached right now. Please try again shortly.", std::nullopt};
}

constexpr int lost_task_polls = 20;  // consecutive "not found" answers before a task is declared lost

}  // namespace

submissions::submissions(asio::any_io_executor executor, store::submission_store& store, core::blocking_pool& pool,
                         sonauto::client& client, lifecycle_options options)
    : executor_(std::move(executor)), store_(store), pool_(pool), client_(client), options_(std::move(options)) {}

asio::awaitable<create_outcome> submissions::create(const submission_form& form) {
  store::submission s;
  s.session_id = ids::random_token();
  s.sender = form.sender;
  s.recipient = form.recipient;
  s.story = form.story;
  s.style = form.style;
  s.prompt = compose_prompt(form);

  sonauto::generation_request request{s.prompt, {}, std::nullopt};
  auto created = co_await client_.create_generation(request);
  if (!created) {
    SERENADE_LOG(warn, "generation_refused", "session", s.session_id, "error", created.error().describe());
    co_return refused(created.error());
  }
  s.task_id = created.value();
  s.status = "RECEIVED";
  s.created_at = s.updated_at = store::now();
  co_await pool_.run([&] { store_.insert(s); });
  SERENADE_LOG(info, "submission_created", "session", s.session_id, "task", *s.task_id);
  follow(s.session_id, *s.task_id);
  co_return create_outcome{201, {}, std::move(s)};
}

asio::awaitable<std::optional<store::submission>> submissions::find(std::string_view session_id) {
  co_return co_await pool_.run([&] { return store_.find(session_id); });
}

asio::awaitable<void> submissions::resume_unfinished() {
  auto open = co_await pool_.run([this] { return store_.unfinished(); });
  for (auto& s : open) {
    SERENADE_LOG(info, "submission_resumed", "session", s.session_id, "task", *s.task_id, "status", s.status);
    follow(s.session_id, *s.task_id);
  }
}

void submissions::follow(std::string session_id, std::string task_id) {
  asio::co_spawn(asio::make_strand(executor_), poll_until_finished(std::move(session_id), std::move(task_id)),
                 [](std::exception_ptr error) {
                   if (!error) return;
                   try {
                     std::rethrow_exception(error);
                   } catch (const std::exception& e) {
                     SERENADE_LOG(error, "follower_failed", "error", e.what());
                   }
                 });
}

asio::awaitable<void> submissions::poll_until_finished(std::string session_id, std::string task_id) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::string last_status;
  int not_found = 0;
  bool capture_started = false;
  for (;;) {
    timer.expires_after(options_.poll_interval);
    co_await timer.async_wait(asio::use_awaitable);
    auto polled = co_await client_.status(task_id);
    if (!polled) {
      const auto& f = polled.error();
      if (f.kind == sonauto::failure_kind::http_status && f.status == 404 && ++not_found >= lost_task_polls) {
        store::status_update lost{"FAILURE", std::nullopt, store::now(), "The song was lost by the music service."};
        co_await pool_.run([&] { return store_.record_status(session_id, lost); });
        SERENADE_LOG(warn, "generation_lost", "session", session_id, "task", task_id);
        co_return;
      }
      SERENADE_LOG(debug, "status_poll_failed", "session", session_id, "error", f.describe());
      continue;
    }
    not_found = 0;
    const std::string status = std::move(polled).value();
    if (!capture_started && is_stream_ready(status) && options_.on_stream_ready) {
      capture_started = options_.on_stream_ready(session_id, task_id);
    }
    if (status == last_status) continue;
    last_status = status;

    store::status_update update{status, std::nullopt, std::nullopt, std::nullopt};
    const auto now = store::now();
    if (is_stream_ready(status)) update.streaming_ready_at = now;
    if (is_finished(status)) update.completed_at = now;
    if (status == "FAILURE") {
      auto detail = co_await client_.result(task_id);
      update.error = detail && detail.value().error_message ? *detail.value().error_message
                                                             : "The music service could not finish this song.";
    }
    co_await pool_.run([&] { return store_.record_status(session_id, update); });
    SERENADE_LOG(info, "status_changed", "session", session_id, "task", task_id, "status", status);
    if (status == "SUCCESS" && options_.on_success) options_.on_success(session_id, task_id);
    if (is_finished(status)) co_return;
  }
}

}  // namespace serenade::lifecycle
