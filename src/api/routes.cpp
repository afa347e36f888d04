#include "api/routes.hpp"

#include "api/finished_songs.hpp"
#include "api/http_answers.hpp"
#include "api/metrics.hpp"
#include "api/stream_shares.hpp"
#include "archive/song_copies.hpp"
#include "api/submission_view.hpp"
#include "api/webhooks.hpp"
#include "core/ids.hpp"
#include "http/client_address.hpp"
#include "http/conditional.hpp"
#include "http/static_site.hpp"
#include "lifecycle/submission_form.hpp"
#include "lifecycle/submission_result.hpp"
#include "lifecycle/submissions.hpp"
#include "live/hub_table.hpp"
#include "live/listener.hpp"

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
  auto r = json_response(result.repeated ? 200 : 201, created_json(*result.accepted, ctx.public_url));
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

asio::awaitable<std::optional<store::submission>> find_session(route_context& ctx, std::string_view id) {
  if (!ids::looks_like_token(id)) co_return std::nullopt;
  co_return co_await ctx.submissions.find(id);
}

asio::awaitable<void> show_submission(route_context& ctx, exchange& ex, const route_params& p) {
  auto s = co_await find_session(ctx, p.get("session_id"));
  if (!s) co_return co_await ex.respond(session_not_found());
  co_await ex.respond(json_response(200, submission_json(*s, ctx.public_url)));
}

// A finished song is a plain file: Range, HEAD and validators like a static file server.
asio::awaitable<void> serve_song_file(route_context& ctx, exchange& ex, const open_song& song,
                                      std::string_view cache_control) {
  auto answer = http::answer_for_file(ex.req(), song.identity, "audio/mpeg", cache_control);
  if (answer.status == 200 || answer.status == 206) {
    ++ctx.metrics.listeners_final;
    co_await ex.respond_with_file(answer.status, std::move(answer.headers), song.fd, answer.offset, answer.length);
    --ctx.metrics.listeners_final;
    ctx.metrics.final_bytes_relayed += ex.body_bytes_sent();
  } else {
    http::response r;
    r.status = answer.status;
    r.headers = std::move(answer.headers);
    co_await ex.respond(std::move(r));
  }
}

constexpr std::string_view final_cache_control = "private, max-age=31536000, immutable";

// The copy archive says serves a song that is no longer live; a verified final copy is remembered open for the
// next request. False when none exists.
asio::awaitable<bool> serve_archived_copy(route_context& ctx, exchange& ex, const store::submission& s) {
  std::optional<std::string> verified_sha256;
  if (s.archive && s.archive->source == "cdn") verified_sha256 = s.archive->sha256;
  const auto now = std::chrono::steady_clock::now();
  for (auto& copy : archive::copies_to_serve(ctx.archive_dir, s.session_id, verified_sha256)) {
    const auto song = open_song_file(copy.path, std::move(copy.etag), now);
    if (!song) continue;
    if (copy.immutable && ctx.finished) ctx.finished->remember(s.session_id, song);
    co_await serve_song_file(ctx, ex, *song, copy.immutable ? final_cache_control : "no-cache");
    co_return true;
  }
  co_return false;
}

asio::awaitable<void> stream_song(route_context& ctx, exchange& ex, const route_params& p) {
  const auto id = p.get("session_id");
  if (ctx.finished) {
    if (const auto song = ctx.finished->find(id, std::chrono::steady_clock::now())) {
      co_return co_await serve_song_file(ctx, ex, *song, final_cache_control);
    }
  }
  auto s = co_await find_session(ctx, id);
  if (!s) co_return co_await ex.respond(answer_for(request_refusal::session_not_found));
  if (!s->task_id) co_return co_await ex.respond(answer_for(request_refusal::no_generation));
  if (!s->streaming_ready_at) co_return co_await ex.respond(answer_for(request_refusal::stream_not_ready));
  if (co_await serve_archived_copy(ctx, ex, *s)) co_return;
  // A listener never makes Sonauto work again right after it failed, and HEAD never makes it work at all.
  if (const auto pause = ctx.hubs.failed_lately(s->session_id, *s->task_id)) {
    auto refused = answer_for(live::start_refusal{live::start_refusal::reason::failed_lately, *pause});
    co_return co_await ex.respond(std::move(refused));
  }
  if (ex.req().is_head()) co_return co_await live::answer_live_head(ex);
  std::optional<core::keyed_slots::slot> share;
  if (ctx.streams && !(share = ctx.streams->take(ex.req()))) {
    co_return co_await ex.respond(answer_for(request_refusal::too_many_streams));
  }
  auto song = ctx.hubs.ensure(s->session_id, *s->task_id);
  if (!song) {
    ++ctx.metrics.archive_unavailable;
    // Built before the co_await: GCC mishandles braced temporaries inside a co_await expression.
    auto refused = answer_for(live::start_refusal{live::start_refusal::reason::archive_unavailable});
    co_return co_await ex.respond(std::move(refused));
  }
  // The submission's strings (lyrics, prompt, ...) are not needed while the song plays; a listener stays minutes.
  s.reset();
  auto refused = co_await live::serve_listener(ex, std::move(song), ctx.hubs.counters(), ctx.stream_start_timeout);
  if (refused) co_await ex.respond(answer_for(*refused));
}

asio::awaitable<void> web_page_at(route_context& ctx, exchange& ex, std::string_view path) {
  auto page = ctx.site.find(path, ex.req().header("If-None-Match"));
  if (!page) co_return co_await ex.respond(answer_for(request_refusal::page_not_found));
  co_await ex.respond(std::move(*page));
}

asio::awaitable<void> web_page(route_context& ctx, exchange& ex, const route_params&) {
  return web_page_at(ctx, ex, ex.req().path);
}

// The share link is the player page; the page reads the session id from its own URL.
asio::awaitable<void> share_page(route_context& ctx, exchange& ex, const route_params&) {
  return web_page_at(ctx, ex, "/");
}

asio::awaitable<void> health(route_context&, exchange& ex, const route_params&) {
  co_await ex.respond(json_response(200, R"({"status":"ok"})"));
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
  r.add("POST", "/api/submissions", with_context(ctx, create_submission));
  r.add("POST", "/api/submissions/{session_id}/retry", with_context(ctx, retry_submission));
  r.add("GET", "/api/submissions/{session_id}", with_context(ctx, show_submission));
  r.add("GET", "/api/stream/{session_id}", with_context(ctx, stream_song));
  r.add("GET", "/s/{session_id}", with_context(ctx, share_page));
  r.add("GET", "/{*path}", with_context(ctx, web_page));
}

void add_metrics_route(http::router& r, route_context& ctx) {
  r.add("GET", "/metrics", http::with_context(ctx, metrics_page));
}

}  // namespace serenade::api
