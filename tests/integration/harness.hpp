#pragma once
// Test harness: runs the real `serenade` binary (server and simulator) as child processes on ephemeral
// loopback ports and talks HTTP to them. Waits are on conditions (a /metrics counter, a JSON field of a song's
// state); their deadlines only stop a test that would otherwise hang.
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace serenade::testing {

using namespace std::chrono_literals;
using header_pairs = std::vector<std::pair<std::string, std::string>>;

// A key that must never be seen outside the upstream request headers.
inline constexpr const char* test_api_key = "sksonauto_test_7f3c9e1d2b4a5968_TOPSECRET";

std::string make_temp_dir();
// A free loopback port, for a server whose public URL must name its own port before it starts.
std::uint16_t free_loopback_port();

// Polls `done` until it holds. The deadline is a failure guard, never a measurement: past it, throws with the
// text `explain` gives (what was awaited, the last value seen).
void wait_until(const std::function<bool()>& done, const std::function<std::string()>& explain,
                std::chrono::milliseconds timeout = 20s);

// The value of one series of a Prometheus text page: `series` is the name with its labels as printed,
// e.g. `serenade_finalisations_total{outcome="ok"}`. Nullopt when the page has no such series.
std::optional<std::uint64_t> metric_value(const std::string& page, const std::string& series);

// Stops the run's shared PostgreSQL server, keeping its data, and starts it again (scripts/test-postgres halt and
// resume): an outage. Integration tests run one at a time, so no other test sees it.
void halt_postgres();
void resume_postgres();

// One series of the /metrics page of the server on `port` now; throws when it is missing.
std::uint64_t metric_at(std::uint16_t port, const std::string& series);
// Polls that series until it satisfies `done`; returns that value. Throws after `timeout`.
std::uint64_t wait_for_metric_at(std::uint16_t port, const std::string& series,
                                 const std::function<bool(std::uint64_t)>& done,
                                 std::chrono::milliseconds timeout = 20s);

// Polls GET /api/submissions/{id} on the server on `port` until `done` holds; returns that state.
boost::json::object wait_for_state_at(std::uint16_t port, const std::string& session,
                                      const std::function<bool(const boost::json::object&)>& done,
                                      std::chrono::milliseconds timeout = 20s);

class process {
 public:
  process(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env, std::string log_path);
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  // The first log line containing every fragment, waiting up to `timeout`; throws on timeout or exit.
  std::string wait_for_line(const std::vector<std::string>& fragments, std::chrono::milliseconds timeout) const;
  // The port of the "event=listening server=<name>" line: the only way to learn an ephemeral port.
  std::uint16_t wait_for_port(const std::string& server_name) const;
  std::string log() const;
  // SIGTERM, then wait up to `timeout` for exit. Returns the exit code, or nullopt if it did not exit.
  std::optional<int> terminate(std::chrono::milliseconds timeout);
  void kill_now();
  bool running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> exit_code_;
};

struct http_reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool complete = false;  // the body ended as framed (Content-Length reached / final chunk seen)
  std::string error;      // transport or parse error, if any
  boost::json::value json() const;
  std::string header(const std::string& lower_name) const;
};

// Every reply the harness received, as raw header and body text, for leak checks.
const std::vector<std::string>& transcript();

http_reply request(std::uint16_t port, const std::string& method, const std::string& target,
                   const header_pairs& headers = {}, const std::string& body = {},
                   std::chrono::milliseconds timeout = 20s);
// Sends bytes as they are and returns whatever comes back until the server closes or the timeout passes.
std::string raw_exchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout = 5s);
// The same, but says whether the server closed the connection: nullopt when `timeout` passed first.
std::optional<std::string> raw_exchange_until_closed(std::uint16_t port, const std::string& bytes,
                                                     std::chrono::milliseconds timeout = 30s);

// A client that sends `GET target` and then reads nothing: its tiny receive buffer fills at once, so the
// server's writes to it stop making progress. Closes its socket when destroyed.
class unread_request {
 public:
  unread_request(std::uint16_t port, const std::string& target);
  ~unread_request();
  unread_request(const unread_request&) = delete;
  unread_request& operator=(const unread_request&) = delete;
  bool sent() const { return fd_ >= 0; }
  // Reads what has arrived (at least a byte), then resets the connection while the server is still sending.
  // False when nothing could be read.
  bool hang_up_after_a_few_bytes();
  void close();

 private:
  int fd_ = -1;
};

// A response read progressively, for streams.
class stream_reader {
 public:
  stream_reader(std::uint16_t port, const std::string& target, std::chrono::milliseconds timeout = 20s);
  // The same, sending these request headers (e.g. Authorization to talk to the simulator directly).
  stream_reader(std::uint16_t port, const std::string& target, const header_pairs& headers,
                std::chrono::milliseconds timeout = 20s);
  ~stream_reader();
  stream_reader(stream_reader&&) noexcept;
  stream_reader& operator=(stream_reader&&) noexcept;
  unsigned status() const;
  std::string header(const std::string& lower_name) const;
  // Reads until at least `bytes` body bytes are in, the body ends, or an error; returns the body so far.
  const std::string& read_at_least(std::size_t bytes);
  const std::string& read_to_end();
  bool ended_cleanly() const;   // final chunk seen
  bool cut() const;             // connection ended before the final chunk
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

struct sim_settings {
  double song_seconds = 6;
  double speed = 4;
  double ready_after = 0.6;
  double first_audio = 1;
  double expire_after = 30;
  double tick = 0.05;
  std::vector<std::string> extra_args;  // more `serenade simulate` flags, e.g. fault switches
};

// A simulator and a server wired to it, each with its own log file in a fresh temp directory.
class stack {
 public:
  explicit stack(sim_settings settings = {}, std::vector<std::string> serve_args = {});
  ~stack();

  std::uint16_t api_port() const { return api_port_; }
  std::uint16_t sim_port() const { return sim_port_; }
  const std::string& dir() const { return dir_; }
  std::string database_url() const { return "sqlite:///" + dir_ + "/serenade.db"; }
  process& server() { return *server_; }
  process& simulator() { return *simulator_; }
  void start_server(std::vector<std::string> extra_args = {});
  // Another server on the same database and simulator (give both a shared database: --database), with its own
  // archive folder and log (server-<name>.log), as a second instance of a cluster.
  struct instance {
    std::unique_ptr<process> server;
    std::uint16_t port = 0;
  };
  instance start_instance(const std::string& name, std::vector<std::string> extra_args = {});

  http_reply api(const std::string& method, const std::string& target, const std::string& body = {},
                 const header_pairs& headers = {});
  http_reply sim(const std::string& method, const std::string& target, const std::string& body = {});
  // Posts a valid form whose story contains `marker`; returns the session id.
  std::string submit(const std::string& marker);
  // The simulator's task whose prompt contains `marker`.
  std::string task_for(const std::string& marker);
  // Polls GET /api/submissions/{id} until `done` holds; returns that state. Throws after `timeout`.
  boost::json::object wait_for_state(const std::string& session,
                                     const std::function<bool(const boost::json::object&)>& done,
                                     std::chrono::milliseconds timeout = 20s);
  // The song as the task's live stream sends it, and as its CDN file (another encode unless --final-encode same).
  std::string simulator_audio(const std::string& task_id);
  std::string simulator_final(const std::string& task_id);
  // Whether `body` is the whole song in either copy: a finished song is served from the live copy until the
  // final copy is verified, and from the final copy afterwards.
  bool is_whole_song(const std::string& task_id, const std::string& body);
  // One series of the server's /metrics now; throws when it is missing.
  std::uint64_t metric(const std::string& series);
  // Polls /metrics until `series` satisfies `done`; returns that value. Throws after `timeout`.
  std::uint64_t wait_for_metric(const std::string& series, const std::function<bool(std::uint64_t)>& done,
                                std::chrono::milliseconds timeout = 20s);

 private:
  std::string dir_;
  sim_settings settings_;
  std::unique_ptr<process> simulator_;
  std::unique_ptr<process> server_;
  std::uint16_t sim_port_ = 0;
  std::uint16_t api_port_ = 0;
  std::vector<std::string> serve_args_;
  std::vector<std::string> serve_command(const std::string& archive_dir,
                                         const std::vector<std::string>& extra_args) const;
};

// A body as the bytes archive's MP3 checks read.
inline std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Predicates for stack::wait_for_state.
inline bool is_stream_ready(const boost::json::object& o) { return o.at("stream_ready").as_bool(); }
inline bool is_complete(const boost::json::object& o) { return o.at("phase").as_string() == "complete"; }

// Predicates for stack::wait_for_metric.
inline std::function<bool(std::uint64_t)> at_least(std::uint64_t n) {
  return [n](std::uint64_t value) { return value >= n; };
}
inline std::function<bool(std::uint64_t)> exactly(std::uint64_t n) {
  return [n](std::uint64_t value) { return value == n; };
}

// A token the webhook tests give `serenade serve`, and the flags that make it receive webhooks on `port` (its
// listener and public URL there, so the simulator posts to it).
inline constexpr const char* test_webhook_token = "hook-secret-0123456789-ABCDEFGHIJ-klmnop";
std::vector<std::string> webhook_receiver_args(std::uint16_t port);

// A listener of the song `session` once it is being sung, its answer 200 and its first bytes in.
stream_reader listen_live(stack& s, const std::string& session);
// Sends SIGTERM to `server` and returns once its shutdown has begun (its "shutdown" log line).
void begin_shutdown(process& server);

std::string story_with(const std::string& marker);
std::string form_json(const std::string& sender, const std::string& recipient, const std::string& story,
                      const std::string& style);

}  // namespace serenade::testing
