#include "sim/control.hpp"

#include "http/exchange.hpp"
#include "http/router.hpp"
#include "sim/context.hpp"
#include "sim/encodes.hpp"
#include "sim/fault_table.hpp"

#include <boost/json.hpp>

namespace serenade::sim {

namespace asio = boost::asio;
namespace json = boost::json;
using http::error_response;
using http::json_response;

namespace {

// {"api_key": "..."} replaces the accepted key. With {"task_id": "..."}, the task switches present change that
// task's faults; the service-wide switches apply with or without a task. Absent keys stay, unknown keys are
// ignored; a bad value answers 400 and changes nothing. The answer carries the stats and the task's faults.
asio::awaitable<void> control(context& ctx, http::exchange& ex, const http::route_params&) {
  json::error_code ec;
  auto body = json::parse(ex.req().body, ec);
  if (ec || !body.is_object()) co_return co_await ex.respond(error_response(400, "Body must be a JSON object"));
  const auto& o = body.as_object();
  std::shared_ptr<task> t;
  task_faults changed;
  fault_update update;
  if (auto* id = o.if_contains("task_id"); id && id->is_string()) {
    t = ctx.tasks.find(id->as_string());
    if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
    changed = t->current_faults();
    update = apply_fault_keys(o, changed);
    if (update.problem) co_return co_await ex.respond(error_response(400, *update.problem));
  }
  if (auto problem = ctx.change_service_faults(o)) co_return co_await ex.respond(error_response(400, *problem));
  // An encode the new switches need is made before they apply, so the task never lacks one (seconds for a
  // long song, on the synthesis thread).
  if (t) co_await ctx.synth_pool.run([&] { add_missing_encodes(*t, changed); });
  if (auto* key = o.if_contains("api_key"); key && key->is_string()) ctx.accept_only_key(std::string(key->as_string()));
  auto out = ctx.stats();
  if (t) {
    t->change_faults(changed, update.drop_rearmed);
    out["faults"] = fault_report(changed);
  }
  co_await ex.respond(json_response(200, json::serialize(out)));
}

asio::awaitable<void> task_list(context& ctx, http::exchange& ex, const http::route_params&) {
  json::array list;
  for (const auto& t : ctx.tasks.all()) list.push_back(json::object{{"task_id", t->id}, {"prompt", t->prompt}});
  co_await ex.respond(json_response(200, json::serialize(list)));
}

asio::awaitable<void> task_report(context& ctx, http::exchange& ex, const http::route_params& p) {
  auto t = ctx.tasks.find(p.get("task_id"));
  if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
  json::object out{{"task_id", t->id},
                   {"status", moment_now(ctx.options, *t).status},
                   {"stream_connections_open", t->open_streams.load()},
                   {"stream_connections_total", t->total_streams.load()},
                   {"cdn_requests", t->cdn_requests.load()},
                   {"bytes_streamed_total", t->bytes_streamed.load()},
                   {"stream_final_chunks", t->stream_final_chunks.load()},
                   {"stream_unframed_ends", t->stream_unframed_ends.load()},
                   {"stream_expiry_cuts", t->stream_expiry_cuts.load()},
                   {"stream_not_ready", t->stream_not_ready.load()},
                   {"stream_gone", t->stream_gone.load()},
                   {"song_seconds", t->song_seconds},
                   {"audio_bytes", t->audio->size()},
                   {"stream_bitrate_kbps", t->stream_bitrate_kbps},
                   {"final_bytes", t->cdn_file()->size()},
                   {"webhook_url", t->webhook_url.empty() ? json::value(nullptr) : json::value(t->webhook_url)},
                   {"webhooks_sent", t->webhooks_sent.load()},
                   {"webhooks_failed", t->webhooks_failed.load()}};
  {
    std::lock_guard lock(t->mutex);
    out["reencoded_bytes"] = t->reencoded ? json::value(t->reencoded->size()) : json::value(nullptr);
  }
  out["faults"] = fault_report(t->current_faults());
  co_await ex.respond(json_response(200, json::serialize(out)));
}

asio::awaitable<void> task_audio(context& ctx, http::exchange& ex, const http::route_params& p) {
  auto t = ctx.tasks.find(p.get("task_id"));
  if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
  http::response r;
  r.body.assign(t->audio->begin(), t->audio->end());
  r.set("Content-Type", "audio/mpeg");
  co_await ex.respond(std::move(r));
}

// The CDN file as the switches have it now, without the CDN's faults (refused, corrupt, truncated, deleted).
asio::awaitable<void> task_final(context& ctx, http::exchange& ex, const http::route_params& p) {
  auto t = ctx.tasks.find(p.get("task_id"));
  if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
  const auto file = t->cdn_file();
  http::response r;
  r.body.assign(file->begin(), file->end());
  r.set("Content-Type", "audio/mpeg");
  co_await ex.respond(std::move(r));
}

// The other encode later connections send with replay reencoded; 404 until a switch asked for it.
asio::awaitable<void> task_reencoded(context& ctx, http::exchange& ex, const http::route_params& p) {
  auto t = ctx.tasks.find(p.get("task_id"));
  if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
  std::shared_ptr<const std::vector<std::uint8_t>> song;
  {
    std::lock_guard lock(t->mutex);
    song = t->reencoded;
  }
  if (!song) co_return co_await ex.respond(error_response(404, "Not found"));
  http::response r;
  r.body.assign(song->begin(), song->end());
  r.set("Content-Type", "audio/mpeg");
  co_await ex.respond(std::move(r));
}

asio::awaitable<void> stats(context& ctx, http::exchange& ex, const http::route_params&) {
  co_await ex.respond(json_response(200, json::serialize(ctx.stats())));
}

}  // namespace

void add_control_routes(http::router& r, context& ctx) {
  r.add("GET", "/_sim/tasks", http::with_context(ctx, task_list));
  r.add("GET", "/_sim/tasks/{task_id}", http::with_context(ctx, task_report));
  r.add("GET", "/_sim/tasks/{task_id}/audio", http::with_context(ctx, task_audio));
  r.add("GET", "/_sim/tasks/{task_id}/final", http::with_context(ctx, task_final));
  r.add("GET", "/_sim/tasks/{task_id}/reencoded", http::with_context(ctx, task_reencoded));
  r.add("POST", "/_sim/control", http::with_context(ctx, control));
  r.add("GET", "/_sim/stats", http::with_context(ctx, stats));
}

}  // namespace serenade::sim
