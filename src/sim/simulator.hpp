#pragma once
// A faithful stand-in for Sonauto (see docs/sonauto-api.md): the REST API (rest_api), the replay-then-live MP3
// stream (stream), the CDN copy and expiry (cdn), webhooks (webhooks), on one HTTP port. Serenade runs it
// in-process when no SONAUTO_API_KEY is set; tests run it as `serenade simulate` and steer it through the /_sim/
// endpoints (control) and the fault switches (fault_table).
#include "sim/faults.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace serenade::http {
class server;
}

namespace serenade::sim {

struct context;
class bare_cdn_listener;

struct simulator_options {
  std::string listen = "127.0.0.1:8090";
  std::string api_key;  // the only key accepted; empty accepts any well-formed sksonauto_ key
  // The timeline defaults are the real service's as public clients see it (docs/sonauto-api.md): streaming-ready
  // about 15 s after create, songs of 2-4 minutes generated at real time. use_fast_timeline (--fast) gives the
  // quick one tests and the in-process simulator use.
  std::optional<double> song_seconds;  // every song's length; unset: each task's own (song_seconds_for)
  double song_seconds_min = 120;
  double song_seconds_max = 240;
  double speed = 1.0;         // generation speed, as a multiple of real time
  double ready_after = 15;    // seconds from create to GENERATING_STREAMING_READY
  double first_audio = 2.0;   // seconds of audio already generated at streaming-ready
  double finish_delay = 0.6;  // seconds from the last audio to SUCCESS (DECOMPRESSING, SAVING)
  double expire_after = 10;   // seconds the live stream stays available after SUCCESS
  double tick = 0.1;          // seconds between stream chunks
  std::string piece = "tick";  // "tick": what is new every tick in one chunk; "frame": one chunk per MP3 frame
  task_faults faults;         // defaults for every new task
  service_faults service;     // the service-wide switches (create endpoint, status rate limit) at start
  double webhook_timeout = 3;  // seconds a webhook POST may take before it is abandoned (no retry)
  std::string webhook_ca_file;  // PEM certificates trusted for https:// webhook URLs besides the system's
};

// The quick timeline: every song 60 s long, generated at twice real time, streaming-ready 3 s after create.
void use_fast_timeline(simulator_options& options);

// The `serenade simulate` flags: --fast, the timeline's (given ones override --fast's), then every fault switch (fault_table.hpp), and the control help.
void add_simulator_options(CLI::App& command, simulator_options& options);

class simulator {
 public:
  simulator(boost::asio::any_io_executor executor, simulator_options options);
  ~simulator();
  simulator(const simulator&) = delete;
  simulator& operator=(const simulator&) = delete;

  // Binds (port 0 picks a free one) and serves; returns the port.
  std::uint16_t start();
  void stop();

 private:
  std::shared_ptr<context> context_;
  std::unique_ptr<bare_cdn_listener> cdn_;
  std::unique_ptr<http::server> server_;  // last: its handlers use the context
};

}  // namespace serenade::sim
