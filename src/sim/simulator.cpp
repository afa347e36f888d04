#include "sim/simulator.hpp"

#include "core/config.hpp"
#include "core/log.hpp"
#include "core/task_group.hpp"
#include "http/server.hpp"
#include "sim/cdn.hpp"
#include "sim/context.hpp"
#include "sim/control.hpp"
#include "sim/fault_table.hpp"
#include "sim/rest_api.hpp"
#include "sim/stream.hpp"

#include <CLI/CLI.hpp>

#include <stdexcept>

namespace serenade::sim {

void add_simulator_options(CLI::App& cmd, simulator_options& o) {
  cmd.add_option("--listen", o.listen, "Address to serve on, host:port (port 0: any free port)")->capture_default_str();
  cmd.add_option("--api-key", o.api_key, "The only API key accepted (default: any sksonauto_ key)")
      ->envname("SONAUTO_API_KEY");
  // Defined before the timeline flags: CLI11 applies options in the order they are defined, so any of those
  // given on the command line overrides what --fast sets, wherever it stands.
  cmd.add_flag_callback(
      "--fast", [&o] { use_fast_timeline(o); },
      "The quick timeline of tests and of `serenade serve` without a key: every song 60 s long, generated at "
      "twice real time, streaming-ready after 3 s. Without it the timeline is the real service's: ready after "
      "15 s, each song 120-240 s long (chosen from its task id) at real time");
  const auto seconds = [&](const char* flag, double& value, const char* help) {
    cmd.add_option(flag, value, help)->capture_default_str()->check(CLI::NonNegativeNumber);
  };
  cmd.add_option_function<double>(
         "--song-seconds", [&o](const double& value) { o.song_seconds = value; },
         "Length of every song, seconds (default: each song's own, 120-240 s, chosen from its task id)")
      ->check(CLI::NonNegativeNumber);
  seconds("--speed", o.speed, "Generation speed as a multiple of real time");
  seconds("--ready-after", o.ready_after, "Seconds from create to GENERATING_STREAMING_READY");
  seconds("--first-audio", o.first_audio, "Seconds of audio already generated when streaming becomes ready");
  seconds("--finish-delay", o.finish_delay, "Seconds from the last audio to SUCCESS");
  seconds("--expire-after", o.expire_after, "Seconds the live stream stays available after SUCCESS");
  seconds("--tick", o.tick, "Seconds between live stream chunks");
  cmd.add_option("--piece", o.piece,
                 "How new live audio is written: 'tick' (everything new each tick, one chunk) or 'frame' (each MP3 "
                 "frame as its own chunk as soon as it is generated; the replay on connect still comes at once)")
      ->capture_default_str()
      ->check(CLI::IsMember({"tick", "frame"}));
  seconds("--webhook-timeout", o.webhook_timeout, "Seconds a webhook POST may take before it is abandoned (no retry)");
  cmd.add_option("--webhook-ca", o.webhook_ca_file,
                 "PEM file of certificates trusted, besides the system's, when a webhook URL is https:// (e.g. a "
                 "test's self-signed one); the certificate and the host name are always checked")
      ->check(CLI::ExistingFile);
  add_fault_flags(cmd, o.faults, o.service);
  cmd.footer(control_help());
}

void use_fast_timeline(simulator_options& o) {
  o.song_seconds = 60;
  o.speed = 2.0;
  o.ready_after = 3.0;
  o.first_audio = 2.0;
  o.finish_delay = 0.6;
  o.expire_after = 10;
  o.tick = 0.1;
}

simulator::simulator(boost::asio::any_io_executor executor, simulator_options options)
    : context_(std::make_shared<context>(std::move(executor), std::move(options))) {}

simulator::~simulator() { stop(); }

std::uint16_t simulator::start() {
  auto& ctx = *context_;
  const auto& options = ctx.options;
  if (options.song_seconds && (*options.song_seconds <= 0 || *options.song_seconds > 1800)) {
    throw std::invalid_argument("--song-seconds must be between 0 and 1800");
  }
  if (options.song_seconds_min <= 0 || options.song_seconds_min > options.song_seconds_max ||
      options.song_seconds_max > 1800) {
    throw std::invalid_argument("song lengths must be 0 < shortest <= longest <= 1800 seconds");
  }
  if (options.speed <= 0) throw std::invalid_argument("--speed must be positive");
  if (options.tick <= 0) throw std::invalid_argument("--tick must be positive");
  if (options.piece != "tick" && options.piece != "frame") throw std::invalid_argument("--piece must be tick or frame");
  if (auto problem = check_faults(options.faults, options.service)) throw std::invalid_argument(*problem);
  auto address = core::parse_listen_address(options.listen);
  if (!address) throw std::invalid_argument("--listen must be host:port, got '" + options.listen + "'");

  http::router routes;
  add_rest_routes(routes, ctx);
  add_stream_route(routes, ctx);
  add_cdn_route(routes, ctx);
  add_control_routes(routes, ctx);
  http::server_options server_options;
  server_options.host = address->host;
  server_options.port = address->port;
  server_options.name = "simulator";
  server_ = std::make_unique<http::server>(ctx.executor, server_options, std::move(routes));
  const auto port = server_->start();
  ctx.base_url = "http://" + address->host + ":" + std::to_string(port);

  std::weak_ptr<context> owner = context_;
  cdn_ = std::make_unique<bare_cdn_listener>(ctx.executor, [owner](std::string_view file) {
    if (auto alive = owner.lock()) return cdn_lookup(*alive, file);
    return cdn_answer{};
  });
  ctx.cdn_base_url = "http://" + address->host + ":" + std::to_string(cdn_->start(address->host));
  SERENADE_LOG(info, "sim_cdn_listening", "url", ctx.cdn_base_url);
  return port;
}

void simulator::stop() {
  if (server_) server_->stop(std::chrono::seconds(0), [] {});
  // Webhook watchers end; posts not yet sent are dropped.
  context_->background->close();
  context_->background->cancel_all();
  if (cdn_) cdn_->stop();
}

}  // namespace serenade::sim
