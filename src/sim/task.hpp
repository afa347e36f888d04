#pragma once
// One simulated generation and the table of them all. A task's progression is not stored: it is read off the
// pure timeline (timeline.hpp) from its creation instant and its current faults, so every endpoint agrees.
#include "sim/faults.hpp"
#include "sim/timeline.hpp"

#include <boost/json/array.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace serenade::core {
class wake_event;
}

namespace serenade::sim {

struct simulator_options;
using steady = std::chrono::steady_clock;

struct task {
  std::string id;
  std::string prompt;
  boost::json::array tags;
  bool streaming = true;
  std::string created_at;  // ISO 8601, as Sonauto reports it
  steady::time_point created;
  double song_seconds = 0;  // this song's length, fixed at creation
  std::shared_ptr<const std::vector<std::uint8_t>> audio;  // the live stream's encode (encodes.hpp)
  int stream_bitrate_kbps = 192;
  std::string lyrics;
  std::atomic<int> open_streams{0};
  std::atomic<int> total_streams{0};
  std::atomic<std::uint64_t> cdn_requests{0};    // requests for this task's CDN file, whatever the answer
  std::atomic<std::uint64_t> bytes_streamed{0};  // audio bytes sent on all stream connections
  // How connections that sent the song to its end, or to the expiry, ended (see stream_end_mode).
  std::atomic<std::uint64_t> stream_final_chunks{0};
  std::atomic<std::uint64_t> stream_unframed_ends{0};
  std::atomic<std::uint64_t> stream_expiry_cuts{0};
  std::atomic<std::uint64_t> stream_not_ready{0};  // stream requests answered 400 (not ready for streaming)
  std::atomic<std::uint64_t> stream_gone{0};       // stream requests answered 404 (expired or failed)

  mutable std::mutex mutex;  // guards faults, drop_spent and the encodes added later
  task_faults faults;
  bool drop_spent = false;  // the one-time drop (drop_every_time false) has cut a connection
  // A separate final encode: made at creation or by the control call that asks for it, before the switch.
  std::shared_ptr<const std::vector<std::uint8_t>> final_file;
  std::shared_ptr<const std::vector<std::uint8_t>> reencoded;  // what later connections send, likewise

  // Webhooks (see webhooks.hpp): set before the task is published, then only read.
  std::string webhook_url;                // empty: the task was created without one
  std::shared_ptr<core::wake_event> wake;  // the watcher's: a control call changed the faults
  std::atomic<std::uint64_t> webhooks_sent{0};    // POSTs that got an HTTP answer (any status)
  std::atomic<std::uint64_t> webhooks_failed{0};  // POSTs that got none (refused, timed out, bad URL)

  task_faults current_faults() const;
  // The CDN file as the switches have it now: the separate final encode, or the stream's bytes.
  std::shared_ptr<const std::vector<std::uint8_t>> cdn_file() const;
  // Replaces the faults (re-arming the one-time drop when asked) and wakes the webhook watcher.
  void change_faults(const task_faults& changed, bool rearm_drop);
};

steady::duration seconds_of(double seconds);
double seconds_since(steady::time_point start);

// A song's length: the fixed --song-seconds, or one drawn from the task id in whole seconds between the
// shortest and the longest, the same on every run.
double song_seconds_for(const simulator_options& options, std::string_view task_id);

timeline_settings timeline_for(const simulator_options& options, const task& t, const task_faults& faults);
// Where the task stands now, with its current faults.
moment moment_now(const simulator_options& options, const task& t);

class task_table {
 public:
  void add(std::shared_ptr<task> t);
  std::shared_ptr<task> find(std::string_view id) const;
  std::vector<std::shared_ptr<task>> all() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<task>> tasks_;
};

}  // namespace serenade::sim
