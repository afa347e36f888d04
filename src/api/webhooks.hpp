#pragma once
// Sonauto's webhooks: POST /api/webhooks/sonauto/{token}/{session} (each song's own URL; the form without the
// session is what songs created before it were given). The secret token in the path is the only
// authentication Sonauto's unsigned webhooks allow; it is compared in constant time, and a wrong one is a
// plain 404 (and counted). The payload is only a hint: the follower confirms the state with the status
// endpoint before anything is recorded. Sonauto does not document the payload, so any body is accepted: one that
// names no task wakes every follower. The answer goes out at once.
#include "http/router.hpp"

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

namespace serenade::lifecycle {
class submissions;
}

namespace serenade::api {

struct webhook_counters {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> rejected_token{0};
  std::atomic<std::uint64_t> unknown_task{0};
  std::atomic<std::uint64_t> confirmed_create{0};  // named the task of a song whose create answer was lost
  std::atomic<std::uint64_t> without_task{0};  // no task named: every song being generated is checked
};

// The configured token, or the one persisted in `state_dir` (created, 256-bit random, on first start; one the
// strength rule of core::webhook_token_weakness refuses is replaced).
// Throws std::runtime_error when it can neither be read nor written.
std::string webhook_token(const std::string& configured, const std::string& state_dir);

// The task a webhook body names: a "task_id" string in the object or an object inside it (an envelope), else the
// "id" of a generation object ({"id", "status"|"song_paths", …}) found the same way; nothing when there is none.
std::optional<std::string> webhook_task_id(std::string_view body);

struct webhook_route_context {
  lifecycle::submissions& submissions;
  std::string token;
  webhook_counters& counters;
};

void add_webhook_routes(http::router& r, webhook_route_context& ctx);

}  // namespace serenade::api
