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

std::optional<std::string> webhook_task_id(std::string_view body) {
  json::error_code ec;
  const auto parsed = json::parse(body, ec);
  const auto* task = !ec && parsed.is_object() ? parsed.as_object().if_contains("task_id") : nullptr;
  if (!task || !task->is_string()) return std::nullopt;
  return std::string(task->as_string());
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
  const auto task = webhook_task_id(ex.req().body);
  if (!task) co_return co_await ex.respond(answer_for(request_refusal::webhook_without_task));
  if (ctx.submissions.hint(*task)) {
    ++ctx.counters.accepted;
  } else {
    ++ctx.counters.unknown_task;  // finished, or not ours: nothing to confirm
  }
  http::response accepted;
  accepted.status = 204;
  co_await ex.respond(std::move(accepted));
}

}  // namespace

void add_webhook_routes(http::router& r, webhook_route_context& ctx) {
  r.add("POST", "/api/webhooks/sonauto/{token}", http::with_context(ctx, receive_webhook));
}

}  // namespace serenade::api
