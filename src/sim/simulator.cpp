#include "sim/simulator.hpp"

#include "core/blocking_pool.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "http/server.hpp"
#include "sim/song_synth.hpp"
#include "sim/timeline.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>
#include <fmt/chrono.h>
#include <openssl/rand.h>

#include <atomic>
#include <mutex>
#include <unordered_map>

namespace serenade::sim {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;
using http::error_response;
using http::json_response;
using steady = std::chrono::steady_clock;

namespace {

struct task {
  std::string id;
  std::string prompt;
  json::array tags;
  bool streaming = true;
  std::string created_at;  // ISO 8601, as Sonauto reports it
  steady::time_point created;
  std::shared_ptr<const std::vector<std::uint8_t>> audio;
  std::string lyrics;
  std::optional<std::string> fail_at;
  std::atomic<double> stall_stream_answer{0};  // seconds to wait before answering a stream request
  std::atomic<int> open_streams{0};
  std::atomic<int> total_streams{0};
};

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

std::string lyrics_for(std::string_view prompt) {
  std::string first_words(prompt.substr(0, std::min<std::size_t>(prompt.size(), 60)));
  return "[Verse 1]\nEvery story has a song, and this one is ours\n" + first_words +
         "\n\n[Chorus]\nYou are the melody I hum when the world goes quiet\n";
}

}  // namespace

struct simulator::state {
  state(asio::any_io_executor ex, simulator_options opts) : executor(ex), options(std::move(opts)) {}

  asio::any_io_executor executor;
  simulator_options options;
  core::blocking_pool synth_pool{1};
  std::unique_ptr<http::server> server;
  std::string base_url;

  std::mutex mutex;
  std::string api_key;
  std::unordered_map<std::string, std::shared_ptr<task>> tasks;
  std::atomic<std::uint64_t> status_calls{0};
  std::atomic<std::uint64_t> creates{0};

  timeline_settings timeline() const {
    return {options.song_seconds, options.speed,        options.ready_after,
            options.first_audio,  options.finish_delay, options.expire_after};
  }

  moment now_for(const task& t) const {
    const double elapsed = std::chrono::duration<double>(steady::now() - t.created).count();
    return moment_at(timeline(), elapsed, t.fail_at ? std::optional<std::string_view>(*t.fail_at) : std::nullopt);
  }

  std::shared_ptr<task> find(std::string_view id) {
    std::lock_guard lock(mutex);
    auto it = tasks.find(std::string(id));
    return it == tasks.end() ? nullptr : it->second;
  }

  std::optional<http::response> refuse_auth(const http::request& req) {
    auto header = req.header("Authorization");
    if (!header || !header->starts_with("Bearer sksonauto_")) return error_response(401, "Invalid API key format");
    std::lock_guard lock(mutex);
    if (!api_key.empty() && header->substr(7) != api_key) return error_response(401, "Invalid API key");
    return std::nullopt;
  }

  std::size_t bytes_generated(const task& t, const moment& m) const {
    const auto total = t.audio->size();
    if (m.audio_seconds >= options.song_seconds) return total;
    return static_cast<std::size_t>(static_cast<double>(total) * (m.audio_seconds / options.song_seconds));
  }

  asio::awaitable<void> create(http::exchange& ex) {
    if (auto refusal = refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
    json::error_code ec;
    auto body = json::parse(ex.req().body, ec);
    if (ec || !body.is_object()) co_return co_await ex.respond(schema_error("Body must be a JSON object"));
    const auto& o = body.as_object();
    const auto present = [&](const char* key) { return o.contains(key) && !o.at(key).is_null(); };
    const int given = present("prompt") + present("tags") + present("lyrics");
    if (given == 0) co_return co_await ex.respond(schema_error("Must provide at least one of prompt, tags or lyrics"));
    if (given == 3) co_return co_await ex.respond(schema_error("Cannot provide prompt, tags and lyrics all at once"));
    if (present("prompt") && !o.at("prompt").is_string()) co_return co_await ex.respond(schema_error("prompt must be a string"));
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
    auto t = std::make_shared<task>();
    t->id = new_task_id();
    t->prompt = text("prompt", "");
    if (auto* v = o.if_contains("tags"); v && v->is_array()) t->tags = v->as_array();
    t->streaming = streaming;
    t->created_at = iso_now();
    t->lyrics = lyrics_for(t->prompt);
    t->audio = co_await synth_pool.run([&] {
      return std::make_shared<const std::vector<std::uint8_t>>(synthesize_song(t->id, options.song_seconds));
    });
    t->created = steady::now();
    {
      std::lock_guard lock(mutex);
      tasks.emplace(t->id, t);
    }
    ++creates;
    SERENADE_LOG(info, "sim_task_created", "task", t->id, "bytes", t->audio->size());
    json::object answer{{"task_id", t->id}};
    co_await ex.respond(json_response(200, json::serialize(answer)));
  }

  asio::awaitable<void> status(http::exchange& ex, std::string_view id) {
    if (auto refusal = refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
    ++status_calls;
    auto t = find(id);
    if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
    co_await ex.respond(json_response(200, json::serialize(json::string(now_for(*t).status))));
  }

  asio::awaitable<void> result(http::exchange& ex, std::string_view id) {
    if (auto refusal = refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
    auto t = find(id);
    if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
    const auto m = now_for(*t);
    json::object out{{"id", t->id},         {"created_at", t->created_at}, {"status", m.status},
                     {"model_version", "v3-preview"}, {"prompt", t->prompt}, {"tags", t->tags},
                     {"alignment_status", nullptr}};
    out["song_paths"] = m.succeeded ? json::value(json::array{base_url + "/cdn/" + t->id + ".mp3"}) : nullptr;
    out["error_message"] = m.status == "FAILURE" ? json::value("The generation failed (simulated)") : nullptr;
    out["lyrics"] = m.status == "RECEIVED" ? json::value(nullptr) : json::value(t->lyrics);
    co_await ex.respond(json_response(200, json::serialize(out)));
  }

  asio::awaitable<void> stream(http::exchange& ex, std::string_view id) {
    if (auto refusal = refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
    auto t = find(id);
    if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
    const auto m = now_for(*t);
    if (m.expired || m.status == "FAILURE") co_return co_await ex.respond(error_response(404, "Not found"));
    if (!t->streaming || !m.stream_open) {
      co_return co_await ex.respond(error_response(400, "Track not ready for streaming"));
    }
    ++t->open_streams;
    ++t->total_streams;
    if (const double stall = t->stall_stream_answer.load(); stall > 0) {
      asio::steady_timer pause(co_await asio::this_coro::executor,
                               std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(stall)));
      co_await (pause.async_wait(asio::use_awaitable) || ex.wait_peer_closed());
    }
    http::header_list headers{{"Content-Type", "audio/mpeg"}, {"Cache-Control", "no-cache"}};
    co_await ex.start_chunked(200, std::move(headers));
    co_await (pump(ex, *t) || ex.wait_peer_closed());
    --t->open_streams;
  }

  // Replays everything generated so far, then sends new audio every tick until the song is complete.
  asio::awaitable<void> pump(http::exchange& ex, task& t) {
    constexpr std::size_t piece = 16 * 1024;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const auto& audio = *t.audio;
    std::size_t sent = 0;
    for (;;) {
      const auto m = now_for(t);
      if (m.status == "FAILURE") {
        ex.abort();
        co_return;
      }
      const auto available = bytes_generated(t, m);
      while (sent < available) {
        const auto n = std::min(piece, available - sent);
        if (!co_await ex.write_chunk({reinterpret_cast<const char*>(audio.data() + sent), n})) co_return;
        sent += n;
      }
      if (sent == audio.size()) {
        co_await ex.finish_chunked();
        co_return;
      }
      timer.expires_after(std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(options.tick)));
      co_await timer.async_wait(asio::use_awaitable);
    }
  }

  asio::awaitable<void> cdn_file(http::exchange& ex, std::string_view file) {
    if (!file.ends_with(".mp3")) co_return co_await ex.respond(error_response(404, "Not found"));
    auto t = find(file.substr(0, file.size() - 4));
    if (!t || !now_for(*t).succeeded) co_return co_await ex.respond(error_response(404, "Not found"));
    http::response r;
    r.body.assign(t->audio->begin(), t->audio->end());
    r.set("Content-Type", "audio/mpeg");
    co_await ex.respond(std::move(r));
  }

  asio::awaitable<void> task_report(http::exchange& ex, std::string_view id) {
    auto t = find(id);
    if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
    json::object out{{"task_id", t->id},
                     {"status", now_for(*t).status},
                     {"stream_connections_open", t->open_streams.load()},
                     {"stream_connections_total", t->total_streams.load()},
                     {"audio_bytes", t->audio->size()}};
    co_await ex.respond(json_response(200, json::serialize(out)));
  }

  asio::awaitable<void> task_audio(http::exchange& ex, std::string_view id) {
    auto t = find(id);
    if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
    http::response r;
    r.body.assign(t->audio->begin(), t->audio->end());
    r.set("Content-Type", "audio/mpeg");
    co_await ex.respond(std::move(r));
  }

  // Test switches: {"api_key": "..."} replaces the accepted key; with {"task_id": "..."}:
  //   "fail_at": "GENERATING"      the task fails once it reaches that state
  //   "stall_stream_answer": 5     stream requests wait 5 s before the status line
  asio::awaitable<void> control(http::exchange& ex) {
    json::error_code ec;
    auto body = json::parse(ex.req().body, ec);
    if (ec || !body.is_object()) co_return co_await ex.respond(error_response(400, "Body must be a JSON object"));
    const auto& o = body.as_object();
    if (auto* key = o.if_contains("api_key"); key && key->is_string()) {
      std::lock_guard lock(mutex);
      api_key = std::string(key->as_string());
    }
    if (auto* id = o.if_contains("task_id"); id && id->is_string()) {
      auto t = find(id->as_string());
      if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
      if (auto* fail = o.if_contains("fail_at"); fail && fail->is_string()) t->fail_at = std::string(fail->as_string());
      if (auto* stall = o.if_contains("stall_stream_answer"); stall && stall->is_number()) {
        t->stall_stream_answer = stall->to_number<double>();
      }
    }
    json::object out{{"creates", creates.load()}, {"status_calls", status_calls.load()}};
    co_await ex.respond(json_response(200, json::serialize(out)));
  }

  asio::awaitable<void> task_list(http::exchange& ex) {
    json::array list;
    {
      std::lock_guard lock(mutex);
      for (const auto& [id, t] : tasks) list.push_back(json::object{{"task_id", id}, {"prompt", t->prompt}});
    }
    co_await ex.respond(json_response(200, json::serialize(list)));
  }

  asio::awaitable<void> stats(http::exchange& ex) {
    json::object out{{"creates", creates.load()}, {"status_calls", status_calls.load()}};
    co_await ex.respond(json_response(200, json::serialize(out)));
  }

  http::router routes() {
    http::router r;
    r.add("POST", "/v1/generations/v3", [this](http::exchange& ex, const http::route_params&) { return create(ex); });
    r.add("GET", "/v1/generations/status/{task_id}",
          [this](http::exchange& ex, const http::route_params& p) { return status(ex, p.get("task_id")); });
    r.add("GET", "/v1/generations/{task_id}",
          [this](http::exchange& ex, const http::route_params& p) { return result(ex, p.get("task_id")); });
    r.add("GET", "/v1/credits/balance", [this](http::exchange& ex, const http::route_params&) -> asio::awaitable<void> {
      if (auto refusal = refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
      co_await ex.respond(json_response(200, R"({"num_credits":100000,"num_credits_payg":0})"));
    });
    r.add("GET", "/stream/{task_id}",
          [this](http::exchange& ex, const http::route_params& p) { return stream(ex, p.get("task_id")); });
    r.add("GET", "/cdn/{file}",
          [this](http::exchange& ex, const http::route_params& p) { return cdn_file(ex, p.get("file")); });
    r.add("GET", "/_sim/tasks", [this](http::exchange& ex, const http::route_params&) { return task_list(ex); });
    r.add("GET", "/_sim/tasks/{task_id}",
          [this](http::exchange& ex, const http::route_params& p) { return task_report(ex, p.get("task_id")); });
    r.add("GET", "/_sim/tasks/{task_id}/audio",
          [this](http::exchange& ex, const http::route_params& p) { return task_audio(ex, p.get("task_id")); });
    r.add("POST", "/_sim/control", [this](http::exchange& ex, const http::route_params&) { return control(ex); });
    r.add("GET", "/_sim/stats", [this](http::exchange& ex, const http::route_params&) { return stats(ex); });
    return r;
  }
};

void add_simulator_options(CLI::App& cmd, simulator_options& o) {
  cmd.add_option("--listen", o.listen, "Address to serve on, host:port (port 0: any free port)")->capture_default_str();
  cmd.add_option("--api-key", o.api_key, "The only API key accepted (default: any sksonauto_ key)")
      ->envname("SONAUTO_API_KEY");
  const auto seconds = [&](const char* flag, double& value, const char* help) {
    cmd.add_option(flag, value, help)->capture_default_str()->check(CLI::NonNegativeNumber);
  };
  seconds("--song-seconds", o.song_seconds, "Length of every song, seconds");
  seconds("--speed", o.speed, "Generation speed as a multiple of real time");
  seconds("--ready-after", o.ready_after, "Seconds from create to GENERATING_STREAMING_READY");
  seconds("--first-audio", o.first_audio, "Seconds of audio already generated when streaming becomes ready");
  seconds("--finish-delay", o.finish_delay, "Seconds from the last audio to SUCCESS");
  seconds("--expire-after", o.expire_after, "Seconds the live stream stays available after SUCCESS");
  seconds("--tick", o.tick, "Seconds between live stream chunks");
}

simulator::simulator(asio::any_io_executor executor, simulator_options options)
    : state_(std::make_shared<state>(executor, std::move(options))) {
  state_->api_key = state_->options.api_key;
}

simulator::~simulator() { stop(); }

std::uint16_t simulator::start() {
  auto& s = *state_;
  if (s.options.song_seconds <= 0 || s.options.song_seconds > 600) {
    throw std::invalid_argument("--song-seconds must be between 0 and 600");
  }
  if (s.options.speed <= 0) throw std::invalid_argument("--speed must be positive");
  if (s.options.tick <= 0) throw std::invalid_argument("--tick must be positive");
  auto address = core::parse_listen_address(s.options.listen);
  if (!address) throw std::invalid_argument("--listen must be host:port, got '" + s.options.listen + "'");
  http::server_options server_opts;
  server_opts.host = address->host;
  server_opts.port = address->port;
  server_opts.name = "simulator";
  s.server = std::make_unique<http::server>(s.executor, server_opts, s.routes());
  const auto port = s.server->start();
  s.base_url = "http://" + address->host + ":" + std::to_string(port);
  return port;
}

void simulator::stop() {
  if (state_->server) state_->server->stop(std::chrono::seconds(0), [] {});
}

}  // namespace serenade::sim
