#pragma once
// A faithful stand-in for Sonauto (see docs: sonauto-api.md): the REST API, the replay-then-live MP3
// stream, the CDN copy and expiry, on one HTTP port. Serenade runs it in-process when no
// SONAUTO_API_KEY is set; tests run it as `serenade simulate` and steer it through /_sim/ endpoints.
#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace CLI {
class App;
}

namespace serenade::sim {

struct simulator_options {
  std::string listen = "127.0.0.1:8090";
  std::string api_key;        // the only key accepted; empty accepts any well-formed sksonauto_ key
  double song_seconds = 60;   // length of every song
  double speed = 2.0;         // generation speed, as a multiple of real time
  double ready_after = 3.0;   // seconds from create to GENERATING_STREAMING_READY
  double first_audio = 2.0;   // seconds of audio already generated at streaming-ready
  double finish_delay = 0.6;  // seconds from the last audio to SUCCESS (DECOMPRESSING, SAVING)
  double expire_after = 10;   // seconds the live stream stays available after SUCCESS
  double tick = 0.1;          // seconds between stream chunks
};

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
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace serenade::sim
