#pragma once
// A faithful stand-in for Sonauto (see docs/sonauto-api.md): the REST API, the replay-then-live MP3
// stream, the CDN copy and expiry, on one HTTP port. Serenade runs it in-process when no
// SONAUTO_API_KEY is set; tests run it as `serenade simulate` and steer it through /_sim/ endpoints.
#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace serenade::sim {

// How a task's webhooks go out (only for tasks created with a webhook_url): each status change POSTs
// {"task_id", "status", "alignment_status": null} to it, starting with RECEIVED at creation.
//   none        nothing is ever sent
//   normal      one POST per change, as soon as it happens
//   duplicated  each POST sent twice in a row
//   reordered   each change's POST held back and sent right after the next one's (pairs swapped); one
//               still held when no further change is due (SUCCESS, FAILURE, never ready) goes out then
//   delayed     each POST sent webhook_delay seconds after its change
enum class webhook_mode { none, normal, duplicated, reordered, delayed };

std::string_view webhook_mode_name(webhook_mode mode);
std::optional<webhook_mode> parse_webhook_mode(std::string_view name);

// Fault switches of one task. Every task starts with a copy of simulator_options::faults (the
// `serenade simulate` flags); POST /_sim/control changes them per task (see the control handler).
struct task_faults {
  std::optional<std::string> fail_at;  // the task fails once it reaches this state
  double stall_stream_answer = 0;      // seconds a stream request waits before its status line
  // Each stream connection replays from byte 0. A connection that drops is cut (no final chunk, socket
  // closed) once it has sent this many body bytes; only the first connection, or every one.
  std::optional<std::uint64_t> drop_after_bytes;
  bool drop_every_time = false;
  // Each stream connection sends nothing for stall_seconds once it has sent stall_at_bytes, then goes on.
  double stall_seconds = 0;
  std::uint64_t stall_at_bytes = 0;
  unsigned refuse_cdn = 0;  // the CDN file answers this HTTP status with a JSON detail (0: serve it)
  bool corrupt_cdn = false;   // CDN bytes flipped in the middle: same length, no longer whole MP3 frames
  bool truncate_cdn = false;  // CDN file sent with its full Content-Length, connection closed after half
  bool expire_immediately = false;                // the live stream answers 404 from SUCCESS on
  double delete_cdn_after = 168 * 3600.0;         // seconds after SUCCESS until the CDN file answers 404
  bool never_ready = false;                       // the task stays at GENERATING forever
  webhook_mode webhooks = webhook_mode::normal;
  double webhook_delay = 2;                       // seconds, for webhook_mode::delayed
};

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
  task_faults faults;         // defaults for every new task
  // POST /v1/generations/v3 answers this status (401, 402, 422, 429, 500...) with a FastAPI-style detail and
  // creates nothing: for the next refuse_create_times creates, or every one when that is 0. 0: no refusal.
  unsigned refuse_create = 0;
  std::uint64_t refuse_create_times = 0;
  double webhook_timeout = 3;  // seconds a webhook POST may take before it is abandoned (no retry)
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
