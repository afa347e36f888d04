#include "api/events_route.hpp"

#include "api/stream_shares.hpp"

#include "api/http_answers.hpp"

#include "core/ids.hpp"
#include "core/wake_event.hpp"
#include "http/peer_watch.hpp"
#include "lifecycle/status_events.hpp"
#include "lifecycle/task_status.hpp"

#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include <atomic>
#include <memory>

namespace serenade::api {

namespace asio = boost::asio;
using http::exchange;
using lifecycle::stream_start;
using std::chrono::steady_clock;

namespace {

// One per stream. `subscribed` keeps a single bus waiter per stream however many heartbeats pass between
// events; the bus holds it weakly, so a departed client leaves nothing behind but an empty callback.
struct wake_state {
  explicit wake_state(asio::any_io_executor executor) : event(std::move(executor)) {}
  core::wake_event event;
  std::atomic<bool> subscribed{false};
};

// Not a coroutine: the callback's by-copy capture must not be built inside one (GCC bug 100611).
void subscribe(lifecycle::status_events& bus, const std::string& session_id, std::uint64_t after_id,
               const std::shared_ptr<wake_state>& wake) {
  if (wake->subscribed.exchange(true)) return;
  bus.notify_after(session_id, after_id, [weak = std::weak_ptr<wake_state>(wake)] {
    auto w = weak.lock();
    if (!w) return;
    w->subscribed = false;
    w->event.notify();  // after the wait ended, it only makes the next wait return at once: one extra loop turn
  });
}

std::string event_text(std::uint64_t id, std::string_view json) {
  return fmt::format("id: {}\nevent: state\ndata: {}\n\n", id, json);
}

http::header_list event_headers() {
  return {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
}

// Last-Event-ID as EventSource sends it on reconnect; the query form is for polyfills that cannot set headers.
std::optional<std::uint64_t> last_event_id_of(const http::request& req) {
  if (auto header = req.header("Last-Event-ID")) return lifecycle::parse_event_id(*header);
  if (auto value = req.query_parameter("last_event_id")) return lifecycle::parse_event_id(*value);
  return std::nullopt;
}

// Appends the events to `out`, stopping after a finishing one. Returns true when the stream should end.
bool append_events(const std::vector<lifecycle::status_event>& events, std::string& out, std::uint64_t& last) {
  for (const auto& e : events) {
    out += event_text(e.id, e.data);
    last = e.id;
    if (e.finishing) return true;
  }
  return false;
}

// Sends what the bus publishes after `last` until the finishing event, a failed write or cancellation.
asio::awaitable<void> follow(event_route_context& ctx, exchange& ex, const std::string& session_id,
                             std::uint64_t last) {
  auto wake = std::make_shared<wake_state>(co_await asio::this_coro::executor);
  auto next_heartbeat = steady_clock::now() + ctx.heartbeat;
  for (;;) {
    auto news = ctx.events.events_after(session_id, last);
    // Ids went backwards: the bus forgot the session and started again; everything it holds is new to us.
    if (news.latest_id < last) {
      last = 0;
      news = ctx.events.events_after(session_id, 0);
    }
    std::string text;
    const bool done = append_events(news.events, text, last);
    if (text.empty() && steady_clock::now() >= next_heartbeat) text = ": heartbeat\n\n";
    if (!text.empty()) {
      if (!co_await ex.write_chunk(text)) co_return;
      next_heartbeat = steady_clock::now() + ctx.heartbeat;
      if (done) co_return co_await ex.finish_chunked();
      continue;
    }
    subscribe(ctx.events, session_id, last, wake);
    co_await wake->event.async_wait_until(next_heartbeat);
  }
}

}  // namespace

asio::awaitable<void> serve_events(event_route_context& ctx, exchange& ex, const http::route_params& p) {
  const std::string session_id(p.get("session_id"));
  if (!ids::looks_like_token(session_id)) co_return co_await ex.respond(answer_for(request_refusal::session_not_found));
  const auto resume = last_event_id_of(ex.req());
  // The bus before the store: a change published in between then appears in the stored state and again as the
  // next event (a harmless repeat). The other order could label an old state with a newer id and lose a change.
  const auto bus = ctx.events.events_after(session_id, resume.value_or(0));
  const auto stored = co_await ctx.find(session_id);
  if (!stored) co_return co_await ex.respond(answer_for(request_refusal::session_not_found));
  if (stored->deleted_at) co_return co_await ex.respond(answer_for(request_refusal::song_taken_back));
  const bool stored_finished = lifecycle::is_finished(stored->status);
  const auto start = lifecycle::plan_stream_start(resume, bus, stored_finished);
  if (start == stream_start::no_content) {
    http::response nothing_more;
    nothing_more.status = 204;
    nothing_more.set("Cache-Control", "no-cache");
    co_return co_await ex.respond(std::move(nothing_more));
  }

  std::optional<core::keyed_slots::slot> share;
  if (ctx.streams && !(share = ctx.streams->take(ex.req()))) {
    co_return co_await ex.respond(answer_for(request_refusal::too_many_streams));
  }
  auto headers = event_headers();
  co_await ex.start_chunked(200, std::move(headers));
  if (ex.req().is_head()) co_return;

  std::string first = "retry: 3000\n\n";
  std::uint64_t last = 0;
  bool done = false;
  if (start == stream_start::current_state) {
    last = bus.latest_id;
    first += event_text(last, ctx.render(*stored));
    done = stored_finished;
  } else {
    last = *resume;
    done = append_events(bus.events, first, last);
  }
  if (!co_await ex.write_chunk(first)) co_return;
  if (done) co_return co_await ex.finish_chunked();
  // The client left: close now. Left to the server, the connection would wait for a next request that the
  // closed socket never reports (it stayed in CLOSE-WAIT until the idle timeout when tried).
  if (!co_await http::until_peer_leaves(ex, follow(ctx, ex, session_id, last))) ex.abort();
}

void add_event_routes(http::router& r, event_route_context& ctx) {
  r.add("GET", "/api/submissions/{session_id}/events", http::with_context(ctx, serve_events));
}

}  // namespace serenade::api
