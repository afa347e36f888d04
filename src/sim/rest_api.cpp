#include "sim/rest_api.hpp"

#include "core/log.hpp"
#include "http/exchange.hpp"
#include "http/router.hpp"
#include "sim/context.hpp"
#include "sim/encodes.hpp"
#include "sim/webhooks.hpp"

#include <boost/json.hpp>
#include <fmt/chrono.h>
#include <openssl/rand.h>

#include <array>

namespace serenade::sim {

namespace asio = boost::asio;
namespace json = boost::json;
using http::error_response;
using http::json_response;

namespace {

std::string new_task_id() {
  std::array<unsigned char, 16> b{};
  RAND_bytes(b.data(), static_cast<int>(b.size()));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", b[i]);
  }
  return out;
}

std::string iso_now() {
  auto now = std::chrono::system_clock::now();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::floor<std::chrono::seconds>(now));
}

http::response schema_error(std::string_view message) {
  json::object item{{"loc", json::array{"body"}}, {"msg", message}, {"type", "value_error"}};
  json::object body{{"detail", json::array{item}}};
  return json_response(422, json::serialize(body));
}

// The answer of a simulated create refusal, in FastAPI's shapes.
http::response create_refusal(unsigned status) {
  switch (status) {
    case 401:
      return error_response(401, "Invalid API key");
    case 402:
      return error_response(402, "Insufficient credits");
    case 422:
      return schema_error("Value error, the request was refused (simulated)");
    case 429:
      return error_response(429, "Rate limit exceeded");
    case 500:
      return error_response(500, "Internal Server Error");
    default:
      return error_response(status, http::reason_phrase(status));
  }
}

std::string lyrics_for(std::string_view prompt) {
  std::string first_words(prompt.substr(0, std::min<std::size_t>(prompt.size(), 60)));
  return "[Verse 1]\nEvery story has a song, and this one is ours\n" + first_words +
         "\n\n[Chorus]\nYou are the melody I hum when the world goes quiet\n";
}

asio::awaitable<void> create(context& ctx, http::exchange& ex, const http::route_params&) {
  if (auto refusal = ctx.refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
  if (const auto status = ctx.take_create_refusal()) {
    ++ctx.create_refusals;
    SERENADE_LOG(info, "sim_create_refused", "status", status);
    co_return co_await ex.respond(create_refusal(status));
  }
  json::error_code ec;
  auto body = json::parse(ex.req().body, ec);
  if (ec || !body.is_object()) co_return co_await ex.respond(schema_error("Body must be a JSON object"));
  const auto& o = body.as_object();
  const auto present = [&](const char* key) { return o.contains(key) && !o.at(key).is_null(); };
  const int given = present("prompt") + present("tags") + present("lyrics");
  if (given == 0) co_return co_await ex.respond(schema_error("Must provide at least one of prompt, tags or lyrics"));
  if (given == 3) co_return co_await ex.respond(schema_error("Cannot provide prompt, tags and lyrics all at once"));
  if (present("prompt") && !o.at("prompt").is_string()) {
    co_return co_await ex.respond(schema_error("prompt must be a string"));
  }
  const auto text = [&](const char* key, std::string_view fallback) -> std::string {
    if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
    return std::string(fallback);
  };
  const auto stream_format = text("stream_format", "ogg");
  const auto output_format = text("output_format", "ogg");
  bool streaming = false;
  if (auto* v = o.if_contains("enable_streaming"); v && v->is_bool()) streaming = v->as_bool();
  if (streaming && stream_format != "mp3") {
    co_return co_await ex.respond(schema_error("This simulator streams mp3 only"));
  }
  if (present("output_bit_rate") && output_format != "mp3" && output_format != "m4a") {
    co_return co_await ex.respond(schema_error("output_bit_rate is only valid for mp3 and m4a"));
  }
  if (present("lyrics") && !o.at("lyrics").is_string()) {
    co_return co_await ex.respond(schema_error("lyrics must be a string"));
  }
  if (present("webhook_url") && !o.at("webhook_url").is_string()) {
    co_return co_await ex.respond(schema_error("webhook_url must be a string"));
  }
  // Validation costs nothing (a 422 creates no task); a generation costs its credits.
  if (!ctx.take_song_credits()) co_return co_await ex.respond(create_refusal(402));
  auto t = std::make_shared<task>();
  t->id = new_task_id();
  if (auto reused = ctx.reused_task_id(t->id)) {
    SERENADE_LOG(info, "sim_task_id_reused", "task", *reused);
    json::object answer{{"task_id", *reused}};
    co_return co_await ex.respond(json_response(200, json::serialize(answer)));
  }
  t->prompt = text("prompt", "");
  if (auto* v = o.if_contains("tags"); v && v->is_array()) t->tags = v->as_array();
  t->streaming = streaming;
  t->created_at = iso_now();
  // Given lyrics are sung as they are; otherwise the model writes its own from the prompt.
  t->lyrics = present("lyrics") ? text("lyrics", "") : lyrics_for(t->prompt);
  t->faults = ctx.options.faults;
  t->webhook_url = text("webhook_url", "");
  t->song_seconds = song_seconds_for(ctx.options, t->id);
  auto encodes = co_await ctx.synth_pool.run([&] { return encode_song(t->id, t->song_seconds, t->faults); });
  t->audio = std::move(encodes.stream);
  t->stream_bitrate_kbps = encodes.stream_bitrate_kbps;
  t->final_file = std::move(encodes.final_file);
  t->reencoded = std::move(encodes.reencoded);
  t->created = steady::now();
  if (!t->webhook_url.empty()) start_webhook_watcher(ctx, t);
  ctx.tasks.add(t);
  ++ctx.creates;
  SERENADE_LOG(info, "sim_task_created", "task", t->id, "bytes", t->audio->size());
  if (ctx.take_lost_create_answer()) {
    ++ctx.create_answers_lost;
    SERENADE_LOG(info, "sim_create_answer_lost", "task", t->id);
    co_return co_await ex.respond(error_response(504, "Gateway Timeout"));
  }
  json::object answer{{"task_id", t->id}};
  co_await ex.respond(json_response(200, json::serialize(answer)));
}

asio::awaitable<void> status(context& ctx, http::exchange& ex, const http::route_params& p) {
  if (auto refusal = ctx.refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
  ++ctx.status_calls;
  if (ctx.take_status_429()) {
    ++ctx.status_429s;
    co_return co_await ex.respond(error_response(429, "Too many requests"));
  }
  auto t = ctx.tasks.find(p.get("task_id"));
  if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
  const auto now = moment_now(ctx.options, *t);
  co_await ex.respond(json_response(200, json::serialize(json::string(now.status))));
}

asio::awaitable<void> result(context& ctx, http::exchange& ex, const http::route_params& p) {
  if (auto refusal = ctx.refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
  auto t = ctx.tasks.find(p.get("task_id"));
  if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
  const auto m = moment_now(ctx.options, *t);
  // A truncated download needs the bare CDN listener (see cdn.hpp); every other file is served here.
  const auto& cdn_base = t->current_faults().truncate_cdn ? ctx.cdn_base_url : ctx.base_url;
  const auto body = json::serialize(generation_result(*t, m.status, cdn_base));
  co_await ex.respond(json_response(200, body));
}

}  // namespace

json::object generation_result(const task& t, std::string_view status, const std::string& cdn_base) {
  json::object out{{"id", t.id},         {"created_at", t.created_at}, {"status", status},
                   {"model_version", "v3-preview"}, {"prompt", t.prompt}, {"tags", t.tags},
                   {"alignment_status", nullptr}};
  out["song_paths"] = status == "SUCCESS" ? json::value(json::array{cdn_base + "/cdn/" + t.id + ".mp3"}) : nullptr;
  out["error_message"] = status == "FAILURE" ? json::value("The generation failed (simulated)") : nullptr;
  out["lyrics"] = status == "RECEIVED" ? json::value(nullptr) : json::value(t.lyrics);
  return out;
}

namespace {

asio::awaitable<void> credits(context& ctx, http::exchange& ex, const http::route_params&) {
  if (auto refusal = ctx.refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
  json::object balance{{"num_credits", ctx.credits()}, {"num_credits_payg", 0}};
  co_await ex.respond(json_response(200, json::serialize(balance)));
}

}  // namespace

void add_rest_routes(http::router& r, context& ctx) {
  r.add("POST", "/v1/generations/v3", http::with_context(ctx, create));
  r.add("GET", "/v1/generations/status/{task_id}", http::with_context(ctx, status));
  r.add("GET", "/v1/generations/{task_id}", http::with_context(ctx, result));
  r.add("GET", "/v1/credits/balance", http::with_context(ctx, credits));
}

}  // namespace serenade::sim
