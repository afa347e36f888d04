#include "sim/webhooks.hpp"

#include "core/log.hpp"
#include "core/task_group.hpp"
#include "core/wake_event.hpp"
#include "sim/context.hpp"
#include "sim/rest_api.hpp"
#include "sim/webhook_sender.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <vector>

namespace serenade::sim {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

struct webhook_post {
  std::string status;
  std::string body;
};

// What the watcher needs of the simulator: no reference to it, so a watcher still unwinding after the simulator
// is gone touches nothing of it.
struct webhook_outbox {
  asio::any_io_executor executor;
  std::shared_ptr<core::task_group> background;
  std::chrono::milliseconds timeout;
  std::string base_url;      // for the song_paths of a completion-only body, as the result endpoint gives them
  std::string cdn_base_url;
  std::shared_ptr<asio::ssl::context> tls;  // checks https:// receivers
};

std::optional<webhook_post> webhook_for(const webhook_outbox& outbox, const task& t, const task_faults& f,
                                        std::string_view status) {
  const auto result = [&] {
    return generation_result(t, status, f.truncate_cdn ? outbox.cdn_base_url : outbox.base_url);
  };
  auto body = webhook_body(f.webhook_payload, t.id, status, result);
  if (!body) return std::nullopt;
  return webhook_post{std::string(status), std::move(*body)};
}

core::task_group::ended_handler log_failure(std::string_view event, std::string task_id) {
  return [event, task_id = std::move(task_id)](std::exception_ptr e) {
    if (e) log::failure(e, event, "task", task_id);
  };
}

// Sends the posts one after the other (so a swapped pair arrives swapped), `delay` seconds from now.
asio::awaitable<void> deliver(std::shared_ptr<task> t, std::vector<webhook_post> posts, double delay,
                              std::chrono::milliseconds timeout, std::shared_ptr<asio::ssl::context> tls) {
  if (delay > 0) {
    asio::steady_timer pause(co_await asio::this_coro::executor, seconds_of(delay));
    co_await pause.async_wait(asio::use_awaitable);
  }
  for (auto& post : posts) {
    const auto result = co_await post_webhook(t->webhook_url, post.body, timeout, *tls);
    if (result.delivered) {
      ++t->webhooks_sent;
      SERENADE_LOG(info, "sim_webhook_sent", "task", t->id, "status", post.status, "answer", result.status);
    } else {
      ++t->webhooks_failed;
      SERENADE_LOG(debug, "sim_webhook_failed", "task", t->id, "status", post.status, "error", result.error);
    }
  }
}

void dispatch(const webhook_outbox& outbox, const std::shared_ptr<task>& t, std::vector<webhook_post> posts,
              double delay) {
  if (posts.empty()) return;
  outbox.background->spawn(asio::make_strand(outbox.executor), deliver(t, std::move(posts), delay, outbox.timeout, outbox.tls),
                           log_failure("sim_webhook_failed", t->id));
}

// One status change, sent as the task's webhook mode says. `held` is the reordered mode's post waiting for
// the next change; it goes out right after this change's post (whatever the mode is by now).
void announce(const webhook_outbox& outbox, const std::shared_ptr<task>& t, const task_faults& f,
              std::string_view status, std::optional<webhook_post>& held) {
  std::vector<webhook_post> posts;
  double delay = 0;
  auto shaped = webhook_for(outbox, *t, f, status);
  // A change the payload shape does not announce: a held post waits for the next one that is announced.
  if (!shaped) return;
  auto post = std::move(*shaped);
  switch (f.webhooks) {
    case webhook_mode::none:
      break;
    case webhook_mode::normal:
      posts.push_back(std::move(post));
      break;
    case webhook_mode::duplicated:
      posts.push_back(post);
      posts.push_back(std::move(post));
      break;
    case webhook_mode::reordered:
      if (!held) {
        held = std::move(post);
        return;
      }
      posts.push_back(std::move(post));
      break;
    case webhook_mode::delayed:
      posts.push_back(std::move(post));
      delay = f.webhook_delay;
      break;
  }
  if (held) {
    posts.push_back(std::move(*held));
    held.reset();
  }
  dispatch(outbox, t, std::move(posts), delay);
}

// Follows one task's status (the same pure timeline the status endpoint reads) and announces each change as
// it happens: it sleeps until the next change, or until a control call changes the task's faults. Ends when
// the simulator stops (cancelled with the background group).
asio::awaitable<void> watch_task(webhook_outbox outbox, simulator_options options, std::shared_ptr<task> t) {
  auto& wake = *t->wake;
  std::string last;           // the status last announced; empty before the first
  double announced_at = 0.0;  // the timeline instant of that status
  std::optional<webhook_post> held;
  for (;;) {
    const auto f = t->current_faults();
    const auto settings = timeline_for(options, *t, f);
    const auto fail_at = f.fail_at ? std::optional<std::string_view>(*f.fail_at) : std::nullopt;
    const double elapsed = seconds_since(t->created);
    const auto announce_if_new = [&](std::string_view status) {
      if (status == last) return;
      last = std::string(status);
      SERENADE_LOG(debug, "sim_status_change", "task", t->id, "status", last, "elapsed_s", elapsed);
      announce(outbox, t, f, status, held);
    };
    // Every change since the last one announced, in order, even when this wake-up comes late (a loaded
    // machine): a webhook receiver is owed each status, as Sonauto sends them, not only the newest.
    if (last.empty()) announce_if_new(moment_at(settings, 0, fail_at).status);
    for (int step = 0; step < 64; ++step) {  // a timeline has a handful of statuses; bounded all the same
      const auto change = next_change_after(settings, announced_at, fail_at);
      if (!change || *change > elapsed) break;
      announced_at = *change;
      announce_if_new(moment_at(settings, *change, fail_at).status);
    }
    announce_if_new(moment_at(settings, elapsed, fail_at).status);
    const auto next = next_change_after(settings, elapsed, fail_at);
    if (!next && held) {
      // Nothing more is due (the end, or a task that never becomes ready): the held post goes out now.
      std::vector<webhook_post> last_one;
      last_one.push_back(std::move(*held));
      held.reset();
      dispatch(outbox, t, std::move(last_one), 0);
    }
    if (next) {
      // Rounded up, so the status has changed when the wait ends. Capped against overflow of a huge wait.
      const auto wait = std::chrono::duration<double>(std::min(*next, 1e8));
      co_await wake.async_wait_until(t->created + std::chrono::ceil<steady::duration>(wait));
    } else {
      co_await wake.async_wait();
    }
  }
}

}  // namespace

std::optional<std::string> webhook_body(webhook_payload_shape shape, std::string_view task_id,
                                        std::string_view status, const std::function<json::object()>& result) {
  json::object body;
  switch (shape) {
    case webhook_payload_shape::flat:
      body = {{"task_id", task_id}, {"status", status}, {"alignment_status", nullptr}};
      break;
    case webhook_payload_shape::nested:
      body = {{"event", "status_update"},
              {"data", json::object{{"task_id", task_id}, {"status", status}, {"alignment_status", nullptr}}}};
      break;
    case webhook_payload_shape::completion_only:
      if (status != "SUCCESS" && status != "FAILURE") return std::nullopt;
      body = result();
      break;
    case webhook_payload_shape::no_task_id:
      body = {{"status", status}};
      break;
  }
  return json::serialize(body);
}

void start_webhook_watcher(context& ctx, const std::shared_ptr<task>& t) {
  auto strand = asio::make_strand(ctx.executor);
  t->wake = std::make_shared<core::wake_event>(strand);
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(seconds_of(ctx.options.webhook_timeout));
  webhook_outbox outbox{ctx.executor, ctx.background, timeout, ctx.base_url, ctx.cdn_base_url, ctx.webhook_tls};
  ctx.background->spawn(strand, watch_task(std::move(outbox), ctx.options, t),
                        log_failure("sim_webhook_watch_failed", t->id));
}

}  // namespace serenade::sim
