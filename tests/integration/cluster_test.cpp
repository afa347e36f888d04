// scripts/cluster, as a newcomer runs it: PostgreSQL, the simulator, three instances and HAProxy come up, a song
// submitted through the front plays through it to its last byte, and SIGTERM stops every process the script
// started and removes its folders. The script starts its own PostgreSQL, so this test needs no shared cluster.
#include "archive/mp3_frames.hpp"
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace serenade::testing {
namespace {

namespace json = boost::json;

constexpr int ports_after_base = 6;  // instances at base..base+2, their metrics at base+3..base+5, simulator base+6

int loopback_socket(std::uint16_t port, sockaddr_in& address) {
  address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

bool can_bind(std::uint16_t port) {
  sockaddr_in address;
  const int fd = loopback_socket(port, address);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return bound;
}

bool accepts_connections(std::uint16_t port) {
  sockaddr_in address;
  const int fd = loopback_socket(port, address);
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

// A base port whose block of seven is free now (the script refuses ports that answer), away from `front`.
std::uint16_t free_port_block(std::uint16_t front) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto base = free_loopback_port();
    if (base > 65535 - ports_after_base || (front >= base && front <= base + ports_after_base)) continue;
    bool all_free = true;
    for (int i = 1; i <= ports_after_base && all_free; ++i) all_free = can_bind(static_cast<std::uint16_t>(base + i));
    if (all_free) return base;
  }
  throw std::runtime_error("no block of seven free loopback ports");
}

// 0 while nothing answers.
unsigned status_of(std::uint16_t port, const std::string& target) {
  try {
    return request(port, "GET", target, {}, {}, 5s).status;
  } catch (const std::exception&) {
    return 0;
  }
}

// The word after `key` in one line of the script's summary.
std::string field_after(const std::string& line, const std::string& key) {
  const auto at = line.find(key);
  if (at == std::string::npos) throw std::runtime_error("no '" + key + "' in: " + line);
  std::istringstream rest(line.substr(at + key.size()));
  std::string word;
  rest >> word;
  return word;
}

// The state letter of /proc/<pid>/stat, empty when there is no such process.
std::string process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto name_end = stat.rfind(')');
  return name_end == std::string::npos || name_end + 2 >= stat.size() ? std::string() : stat.substr(name_end + 2, 1);
}

// Exited: no such process, or a zombie. PostgreSQL's server is not the script's child (pg_ctl detaches it), so
// once stopped it waits a moment for the system's first process to reap it.
bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  return process_state(pid) == "Z";
}

// The script, stopped with SIGTERM when a failed assertion leaves it running, so its children never outlive the
// test (SIGKILL would leave them behind).
class cluster_script {
 public:
  cluster_script(std::uint16_t front, std::uint16_t base)
      : dir_(make_temp_dir()),
        script_({SERENADE_CLUSTER_SCRIPT, "--no-build", "--front-port", std::to_string(front), "--base-port",
                 std::to_string(base)},
                {{"SERENADE_CLUSTER_BINARY", SERENADE_BINARY}}, dir_ + "/cluster.log") {}
  ~cluster_script() {
    if (script_.running()) script_.terminate(60s);
    std::filesystem::remove_all(dir_);
  }
  process& script() { return script_; }
  // The line of the script's summary that starts with `prefix`, e.g. "cluster: instance1".
  std::string line(const std::string& prefix) const { return script_.wait_for_line({prefix}, 5s); }

 private:
  std::string dir_;
  process script_;
};

TEST(cluster, the_script_plays_a_song_through_the_front_and_stops_everything_it_started) {
  const auto front = free_loopback_port();
  const auto base = free_port_block(front);
  cluster_script cluster(front, base);
  auto& script = cluster.script();
  // PostgreSQL's initdb, three instances and HAProxy: a start measured in seconds, given ample room here.
  wait_until([&] { return status_of(front, "/readyz") == 200 || !script.running(); },
             [&] { return "the front never answered; the script's output:\n" + script.log(); }, 120s);
  ASSERT_TRUE(script.running()) << script.log();
  script.wait_for_line({"cluster: ready:"}, 30s);

  const auto folder = field_after(cluster.line("cluster: folder"), "folder ");
  const auto postgres_line = cluster.line("cluster: postgresql");
  const auto postgres_dir = field_after(postgres_line, "host=");
  std::vector<std::pair<std::string, pid_t>> pids{
      {"haproxy", std::stoi(field_after(cluster.line("cluster: front"), "pid "))},
      {"simulator", std::stoi(field_after(cluster.line("cluster: simulator"), "pid "))},
      {"postgres", std::stoi(field_after(postgres_line, "pid "))}};
  for (const std::string instance : {"instance1", "instance2", "instance3"}) {
    pids.emplace_back(instance, std::stoi(field_after(cluster.line("cluster: " + instance), "pid ")));
  }
  ASSERT_TRUE(std::filesystem::is_directory(folder)) << folder;
  ASSERT_TRUE(std::filesystem::is_directory(postgres_dir)) << postgres_dir;

  const auto submitted = request(front, "POST", "/api/submissions", {{"Content-Type", "application/json"}},
                                 form_json("Ana", "Ben", story_with("through-the-cluster"), "acoustic ballad"));
  ASSERT_EQ(submitted.status, 201u) << submitted.body;
  const std::string session(submitted.json().at("session_id").as_string());
  // Every request about the song hashes to one instance, which reads the state the following instance recorded.
  json::object state;
  wait_until(
      [&] {
        const auto reply = request(front, "GET", "/api/submissions/" + session);
        if (reply.status == 200) state = reply.json().as_object();
        return reply.status == 200 && is_stream_ready(state);
      },
      [&] { return "never stream-ready through the front; last: " + json::serialize(state); }, 60s);

  stream_reader listener(front, "/api/stream/" + session, 30s);
  ASSERT_EQ(listener.status(), 200u);
  const auto body = listener.read_to_end();
  EXPECT_TRUE(listener.ended_cleanly()) << body.size() << " bytes before the end";
  const auto scan = archive::scan_mp3(bytes_of(body));
  EXPECT_TRUE(scan.complete) << scan.problem;
  EXPECT_NEAR(scan.duration_seconds, 60.0, 1.0) << "--fast songs are 60 s long";

  // The simulator is at the top of the block: the song it sang, live or as its CDN copy.
  const auto sim_port = static_cast<std::uint16_t>(base + ports_after_base);
  std::string task;
  const auto tasks = request(sim_port, "GET", "/_sim/tasks").json();
  for (const auto& t : tasks.as_array()) {
    if (std::string_view(t.at("prompt").as_string()).find("through-the-cluster") != std::string_view::npos) {
      task = std::string(t.at("task_id").as_string());
    }
  }
  ASSERT_FALSE(task.empty());
  const auto live = request(sim_port, "GET", "/_sim/tasks/" + task + "/audio").body;
  const auto final_copy = request(sim_port, "GET", "/_sim/tasks/" + task + "/final").body;
  EXPECT_TRUE(body == live || body == final_copy)
      << body.size() << " bytes; the simulator's live copy has " << live.size() << ", its final copy "
      << final_copy.size();

  EXPECT_EQ(script.terminate(60s), 0) << script.log();
  EXPECT_NE(script.log().find("cluster: stopped"), std::string::npos) << script.log();
  for (int port = base; port <= base + ports_after_base; ++port) {
    EXPECT_FALSE(accepts_connections(static_cast<std::uint16_t>(port))) << "port " << port << " still answers";
  }
  EXPECT_FALSE(accepts_connections(front)) << "HAProxy's front still answers";
  for (const auto& [name, pid] : pids) {
    EXPECT_TRUE(process_gone(pid)) << name << " (pid " << pid << ", state " << process_state(pid)
                                   << ") outlived the script";
  }
  EXPECT_FALSE(std::filesystem::exists(folder)) << folder;
  EXPECT_FALSE(std::filesystem::exists(postgres_dir)) << postgres_dir;
}

}  // namespace
}  // namespace serenade::testing
