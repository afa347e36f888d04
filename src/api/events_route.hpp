#pragma once
// GET /api/submissions/{session_id}/events: a Server-Sent Events stream of the submission's state.
//
//   start   → 404 unknown session | 204 the client already has the finishing event (stops EventSource)
//           → 200 text/event-stream: "retry: 3000", then the stored state (id: latest or 0) or, with
//             Last-Event-ID (header, or ?last_event_id= for polyfills), the events after it from the bus
//   follow  → each published event as it comes (woken by the bus, no polling); ": heartbeat" when quiet
//   finish  → after the finishing event (phase complete or failed): final chunk; or at once when the client goes
#include "http/router.hpp"
#include "store/submission.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace serenade::lifecycle {
class status_events;
}  // namespace serenade::lifecycle

namespace serenade::api {

struct event_route_context {
  lifecycle::status_events& events;
  // The stored submission (lifecycle::submissions::find); nullopt for an unknown session.
  std::function<boost::asio::awaitable<std::optional<store::submission>>(const std::string& session_id)> find;
  // The state as one line of JSON, the same document the bus carries (api::submission_json).
  std::function<std::string(const store::submission&)> render;
  // A comment this long after the last write keeps proxies from closing a quiet stream.
  std::chrono::milliseconds heartbeat{15000};
  struct stream_shares* streams = nullptr;  // event streams per client; null: not capped
};

void add_event_routes(http::router& r, event_route_context& ctx);

// The handler itself, for tests that drive it with a fake exchange.
boost::asio::awaitable<void> serve_events(event_route_context& ctx, http::exchange& ex, const http::route_params& p);

}  // namespace serenade::api
