#include "api/webhooks.hpp"

#include "api/http_answers.hpp"
#include "archive/state_file.hpp"
#include "core/config.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "lifecycle/submissions.hpp"

#include <boost/json.hpp>
#include <openssl/crypto.h>

namespace serenade::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
// 256 random bits. A draw the strength rule would refuse (one kind of character, or fewer than ten different
// ones) is all but impossible, and drawn again rather than trusted to chance.
std::string new_webhook_token() {
  for (;;) {
    auto token = ids::random_token() + ids::random_token();
    if (!core::webhook_token_weakness(token)) return token;
  }
}
}  // namespace

std::string webhook_token(const std::string& configured, const std::string& state_dir) {
  if (!configured.empty()) return configured;
  // A kept token the rule refuses (one from before the rule, 22 characters) is replaced: webhooks are only
  // hints, and the songs that were given the old URL are still polled.
  return archive::load_or_create_secret(
      state_dir + "/.webhook-token", "webhook token",
      [](std::string_view token) { return !core::webhook_token_weakness(token); }, new_webhook_token);
}

namespace {

// Task ids are UUIDs; anything much longer is not one and is not worth a lookup.
constexpr std::size_t max_task_id_chars = 128;
// How deep a payload is searched: an envelope ({"data": {...}}) and one more level.
constexpr int max_payload_depth = 3;

std::optional<std::string> usable_id(const json::value* v) {
  if (!v || !v->is_string() || v->as_string().empty() || v->as_string().size() > max_task_id_chars) {
    return std::nullopt;
  }
  return std::string(v->as_string());
}

// The payload Sonauto sends is not documented: {"task_id": …} is the likeliest, a generation object
// ({"id", "status", "song_paths", …}, the result on completion) another, either possibly inside an envelope.
// A "task_id" anywhere wins over an "id", which counts only on an object that looks like a generation.
std::optional<std::string> find_task_id(const json::object& o, int depth, bool want_generation_id) {
  if (!want_generation_id) {
    if (auto id = usable_id(o.if_contains("task_id"))) return id;
  } else if (o.contains("status") || o.contains("song_paths")) {
    if (auto id = usable_id(o.if_contains("id"))) return id;
  }
  if (depth >= max_payload_depth) return std::nullopt;
  for (const auto& member : o) {
    if (!member.value().is_object()) continue;
    if (auto id = find_task_id(member.value().as_object(), depth + 1, want_generation_id)) return id;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> webhook_task_id(std::string_view body) {
  json::error_code ec;
  const auto parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  if (auto id = find_task_id(parsed.as_object(), 1, false)) return id;
  return find_task_id(parsed.as_object(), 1, true);
}

namespace {
bool same_token(std::string_view given, const std::string& expected) {
  // Length is not secret (fixed for generated tokens); the content is compared in constant time.
  return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

asio::awaitable<void> receive_webhook(webhook_route_context& ctx, http::exchange& ex, const http::route_params& p) {
  if (!same_token(p.get("token"), ctx.token)) {
    ++ctx.counters.rejected_token;
    SERENADE_LOG(warn, "webhook_rejected", "reason", "wrong token", "remote", ex.req().remote_address);
    co_return co_await ex.respond(answer_for(request_refusal::webhook_not_found));
  }
  // Whatever its shape, a webhook on the right token says something changed: with a task it names, that task
  // is checked; without one, the song its URL names is, or (on the URL without a song) every song still being
  // generated (at most once per poll interval). A task no follower knows may be the one of a song whose create
  // answer was lost: its own URL confirms it.
  std::optional<std::string_view> session;
  if (const auto named = p.get("session"); !named.empty()) session = named;
  if (const auto task = webhook_task_id(ex.req().body)) {
    if (ctx.submissions.hint(*task)) {
      ++ctx.counters.accepted;
    } else {
      bool confirmed = false;
      if (session) confirmed = co_await ctx.submissions.confirm(*session, *task);
      if (confirmed) {
        ++ctx.counters.confirmed_create;
      } else {
        ++ctx.counters.unknown_task;  // finished, or not ours: nothing to confirm
      }
    }
  } else if (session) {
    ++ctx.counters.without_task;
    const bool hinted = co_await ctx.submissions.hint_session(*session);
    if (!hinted) ctx.submissions.hint_all();
  } else {
    ++ctx.counters.without_task;
    ctx.submissions.hint_all();
  }
  http::response accepted;
  accepted.status = 204;
  co_await ex.respond(std::move(accepted));
}

}  // namespace

void add_webhook_routes(http::router& r, webhook_route_context& ctx) {
  r.add("POST", "/api/webhooks/sonauto/{token}", http::with_context(ctx, receive_webhook));
  r.add("POST", "/api/webhooks/sonauto/{token}/{session}", http::with_context(ctx, receive_webhook));
}

}  // namespace serenade::api
