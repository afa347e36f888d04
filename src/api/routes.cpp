#include "api/routes.hpp"

#include "api/download_route.hpp"
#include "api/finished_songs.hpp"
#include "api/http_answers.hpp"
#include "api/metrics.hpp"
#include "api/owner_token.hpp"
#include "api/share_page.hpp"
#include "api/stream_route.hpp"
#include "api/submission_view.hpp"
#include "api/webhooks.hpp"
#include "core/ids.hpp"
#include "http/client_address.hpp"
#include "http/static_site.hpp"
#include "lifecycle/submission_form.hpp"
#include "lifecycle/submission_result.hpp"
#include "lifecycle/submissions.hpp"
#include "live/hub_table.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace serenade::api {

namespace asio = boost::asio;
namespace json = boost::json;
using http::error_response;
using http::exchange;
using http::json_response;
using http::route_params;

namespace {

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

http::response session_not_found() {
  return answer_for(lifecycle::submission_refusal{lifecycle::refusal_reason::not_found});
}

lifecycle::create_request requester(const route_context& ctx, const http::request& req) {
  lifecycle::create_request who;
  who.client = http::client_key(req.remote_address, req.header("X-Forwarded-For"), ctx.trust_proxy);
  who.client_group = http::client_group(who.client);
  who.network = http::network_group(who.client);
  return who;
}

asio::awaitable<void> create_submission(route_context& ctx, exchange& ex, const route_params&) {
  auto content_type = ex.req().header("Content-Type").value_or("");
  if (!content_type.starts_with("application/json")) {
    co_return co_await ex.respond(answer_for(request_refusal::not_json));
  }
  auto parsed = lifecycle::parse_submission_form(ex.req().body);
  if (!parsed.ok()) co_return co_await ex.respond(answer_for(parsed));
  auto who = requester(ctx, ex.req());
  if (auto key = ex.req().header("Idempotency-Key")) {
    if (!valid_idempotency_key(*key)) {
      co_return co_await ex.respond(answer_for(request_refusal::bad_idempotency_key));
    }
    who.idempotency_key = std::string(*key);
  }
  auto result = co_await ctx.submissions.create(*parsed.form, who);
  if (result.refused) co_return co_await ex.respond(answer_for(*result.refused));
  if (!result.accepted) co_return co_await ex.respond(error_response(200, ""));  // a repeat whose row vanished
  auto r = json_response(result.repeated ? 200 : 201,
                         created_json(*result.accepted, ctx.public_url,
                                      owner_token(ctx.owner_secret, result.accepted->session_id)));
  r.set("Location", ctx.public_url + "/api/submissions/" + result.accepted->session_id);
  co_await ex.respond(std::move(r));
}

asio::awaitable<void> retry_submission(route_context& ctx, exchange& ex, const route_params& p) {
  const auto id = p.get("session_id");
  if (!ids::looks_like_token(id)) co_return co_await ex.respond(session_not_found());
  const auto who = requester(ctx, ex.req());
  auto result = co_await ctx.submissions.retry(id, who);
  if (result.refused) co_return co_await ex.respond(answer_for(*result.refused));
  co_await ex.respond(json_response(200, submission_json(*result.accepted, ctx.public_url)));
}

asio::awaitable<void> show_submission(route_context& ctx, exchange& ex, const route_params& p) {
  auto s = co_await ctx.submissions.find(p.get("session_id"));
  if (!s) co_return co_await ex.respond(session_not_found());
  if (s->deleted_at) co_return co_await ex.respond(answer_for(request_refusal::song_taken_back));
  co_await ex.respond(json_response(200, submission_json(*s, ctx.public_url)));
}

// Its maker takes the song back, proving it with the owner token the create answered (api/owner_token.hpp).
asio::awaitable<void> delete_submission(route_context& ctx, exchange& ex, const route_params& p) {
  const auto id = p.get("session_id");
  auto s = co_await ctx.submissions.find(id);
  if (!s) co_return co_await ex.respond(session_not_found());
  if (s->deleted_at) co_return co_await ex.respond(answer_for(request_refusal::song_taken_back));
  if (!proves_ownership(ex.req(), ctx.owner_secret, s->session_id)) {
    co_return co_await ex.respond(answer_for(request_refusal::not_the_owner));
  }
  const bool erased = co_await ctx.submissions.take_back(s->session_id);
  if (!erased) co_return co_await ex.respond(answer_for(request_refusal::song_taken_back));  // raced another
  http::response done;
  done.status = 204;
  co_await ex.respond(std::move(done));
}

asio::awaitable<void> web_page_at(route_context& ctx, exchange& ex, std::string_view path) {
  auto page = ctx.site.find(path, ex.req().header("If-None-Match"));
  if (!page) co_return co_await ex.respond(answer_for(request_refusal::page_not_found));
  co_await ex.respond(std::move(*page));
}

asio::awaitable<void> web_page(route_context& ctx, exchange& ex, const route_params&) {
  return web_page_at(ctx, ex, ex.req().path);
}

asio::awaitable<void> health(route_context&, exchange& ex, const route_params&) {
  co_await ex.respond(json_response(200, R"({"status":"ok"})"));
}

// Whether a load balancer should send new requests here: not once shutdown has begun (the process still serves
// everything while it drains). /healthz stays "alive" throughout.
asio::awaitable<void> readiness(route_context& ctx, exchange& ex, const route_params&) {
  if (ctx.draining && ctx.draining->load()) {
    co_return co_await ex.respond(error_response(503, "Serenade is shutting down"));
  }
  co_await ex.respond(json_response(200, R"({"status":"ready"})"));
}

asio::awaitable<void> metrics_page(route_context& ctx, exchange& ex, const route_params&) {
  http::response r;
  static const webhook_counters none;
  r.body = ctx.metrics.render(
      {ctx.hubs.counters(), ctx.finals, ctx.submissions.counters(), ctx.webhooks ? *ctx.webhooks : none,
       ctx.connections});
  r.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  r.set("Cache-Control", "no-store");
  co_await ex.respond(std::move(r));
}

}  // namespace

void add_api_routes(http::router& r, route_context& ctx) {
  using http::with_context;
  r.add("GET", "/healthz", with_context(ctx, health));
  r.add("GET", "/readyz", with_context(ctx, readiness));
  r.add("POST", "/api/submissions", with_context(ctx, create_submission));
  r.add("POST", "/api/submissions/{session_id}/retry", with_context(ctx, retry_submission));
  r.add("GET", "/api/submissions/{session_id}", with_context(ctx, show_submission));
  r.add("DELETE", "/api/submissions/{session_id}", with_context(ctx, delete_submission));
  r.add("GET", "/api/stream/{session_id}", with_context(ctx, stream_song));
  r.add("GET", "/api/stream/{session_id}/download", with_context(ctx, download_song));
  // The share link is the player page (which reads the session id from its own URL) with the song's preview.
  r.add("GET", "/s/{session_id}", with_context(ctx, share_page));
  r.add("GET", "/s/{session_id}/card.png", with_context(ctx, song_card));
  r.add("GET", "/card.png", with_context(ctx, nameless_card));
  r.add("GET", "/{*path}", with_context(ctx, web_page));
}

void add_metrics_route(http::router& r, route_context& ctx) {
  r.add("GET", "/metrics", http::with_context(ctx, metrics_page));
}

}  // namespace serenade::api
