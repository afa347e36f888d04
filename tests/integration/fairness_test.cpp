// One client must not take the connections everybody shares: a share per client (an IPv4 address, an IPv6
// /64), a share of the long-lived answers, room made by closing the connection idle longest, and a deadline
// for a file answer read slower than the minimum rate.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace serenade::testing {
namespace {

// A connected socket from `source` (any 127.0.0.0/8 address is loopback), closed when destroyed.
class connection {
 public:
  connection(std::uint16_t port, const char* source = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    inet_pton(AF_INET, source, &from.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) throw std::runtime_error("bind failed");
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) throw std::runtime_error("connect failed");
  }
  ~connection() { ::close(fd_); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void send(const std::string& bytes) { ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size())); }
  // Everything until the server closes (or `timeout`); `closed` tells which.
  std::string read_until_closed(bool& closed, std::chrono::milliseconds timeout = 20s) {
    std::string out;
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    closed = false;
    while (std::chrono::steady_clock::now() < give_up) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buffer[4096];
      const auto got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) {
        closed = true;
        break;
      }
      out.append(buffer, static_cast<std::size_t>(got));
    }
    return out;
  }
  // Whether the server has closed this connection by now (it sent nothing: the connection was idle).
  bool closed_by_server() {
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) return false;
      char buffer[4096];
      const auto got = ::recv(fd_, buffer, sizeof buffer, 0);  // the rest of an answer, then the end
      if (got <= 0) return true;
    }
  }
  // Asks for `target` and reads the answer's status line and headers.
  std::string exchange_head(const std::string& target) {
    send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd_, &c, 1, 0) == 1) head += c;
    return head;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

const std::string health = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

// One series of /metrics, asked from `source`: the test's own client may be the one at its share.
std::uint64_t metric_from(std::uint16_t port, const char* source, const std::string& series) {
  connection c(port, source);
  c.send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  bool closed = false;
  const auto page = c.read_until_closed(closed);
  const auto value = metric_value(page, series);
  if (!value) throw std::runtime_error("no series " + series + " in:\n" + page);
  return *value;
}

TEST(fairness, a_client_at_its_share_gets_429_while_another_address_is_served) {
  stack s({}, {"--max-connections-per-client", "3"});
  std::vector<std::unique_ptr<connection>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<connection>(s.api_port()));
  connection fourth(s.api_port());
  bool closed = false;
  const auto refused = fourth.read_until_closed(closed);
  EXPECT_TRUE(refused.starts_with("HTTP/1.1 429 ")) << refused;
  EXPECT_NE(refused.find("Retry-After: 5\r\n"), std::string::npos) << refused;
  EXPECT_NE(refused.find("{\"detail\":\"Too many connections from your address\"}"), std::string::npos) << refused;

  connection neighbour(s.api_port(), "127.0.0.2");
  neighbour.send(health);
  EXPECT_TRUE(neighbour.read_until_closed(closed).starts_with("HTTP/1.1 200 ")) << s.server().log();
  EXPECT_EQ(metric_from(s.api_port(), "127.0.0.2", "serenade_connections_refused_total{reason=\"client_share\"}"), 1u);

  held.pop_back();  // a connection given back is a share free again
  wait_until(
      [&] {
        connection again(s.api_port());
        again.send(health);
        return again.read_until_closed(closed).starts_with("HTTP/1.1 200 ");
      },
      [] { return std::string("the freed share was never given to a new connection"); });
}

TEST(fairness, at_the_limit_the_connection_idle_longest_makes_room) {
  stack s({}, {"--max-connections", "4", "--max-connections-per-client", "0"});
  std::vector<std::unique_ptr<connection>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<connection>(s.api_port()));
    // A served request and then quiet: an idle keep-alive connection, the first one idle longest.
    EXPECT_TRUE(idle.back()->exchange_head("/healthz").starts_with("HTTP/1.1 200 "));
  }
  connection newcomer(s.api_port());
  newcomer.send(health);
  bool closed = false;
  EXPECT_TRUE(newcomer.read_until_closed(closed).starts_with("HTTP/1.1 200 ")) << s.server().log();
  wait_until([&] { return idle.front()->closed_by_server(); },
             [] { return std::string("the connection idle longest was not closed"); });
  for (std::size_t i = 1; i < idle.size(); ++i) EXPECT_FALSE(idle[i]->closed_by_server()) << "connection " << i;
  // Asked on a connection already open: a new one could find the newcomer's not yet seen closed, and make room
  // by closing another idle connection.
  idle.back()->send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto metrics = idle.back()->read_until_closed(closed);
  EXPECT_EQ(metric_value(metrics, "serenade_connections_closed_total{reason=\"idle_for_room\"}"), 1u) << metrics;
  EXPECT_EQ(metric_value(metrics, "serenade_connections_refused_total{reason=\"limit\"}"), 0u);
}

TEST(fairness, connections_busy_with_answers_are_never_closed_for_room) {
  stack s({.song_seconds = 120, .speed = 1}, {"--max-connections", "3", "--max-connections-per-client", "0"});
  const auto session = s.submit("busy");
  s.wait_for_state(session, is_stream_ready);
  std::vector<std::unique_ptr<stream_reader>> listeners;
  for (int i = 0; i < 3; ++i) {
    listeners.push_back(std::make_unique<stream_reader>(s.api_port(), "/api/stream/" + session));
    EXPECT_EQ(listeners.back()->status(), 200u);
  }
  connection late(s.api_port());
  late.send(health);
  bool closed = false;
  const auto refused = late.read_until_closed(closed);
  EXPECT_TRUE(refused.starts_with("HTTP/1.1 503 ")) << refused;
  EXPECT_NE(refused.find("Retry-After: 1\r\n"), std::string::npos) << refused;
  EXPECT_TRUE(refused.ends_with("\r\n\r\n{\"detail\":\"Server is at its connection limit\"}")) << refused;
  for (auto& listener : listeners) {
    const auto so_far = listener->read_at_least(1).size();
    EXPECT_GT(listener->read_at_least(so_far + 1).size(), so_far) << "a listener was cut for the newcomer";
    EXPECT_FALSE(listener->cut());
  }
  listeners.pop_back();  // a finished answer makes room the usual way
  wait_until(
      [&] {
        connection again(s.api_port());
        again.send(health);
        return again.read_until_closed(closed).starts_with("HTTP/1.1 200 ");
      },
      [] { return std::string("the departed listener's connection never made room"); });
  // The health checks' connections may not all be seen closed yet: ask until there is room.
  std::string metrics;
  wait_until(
      [&] {
        const auto reply = s.api("GET", "/metrics");
        metrics = reply.body;
        return reply.status == 200u;
      },
      [&] { return "no room for /metrics: " + metrics; });
  EXPECT_GE(metric_value(metrics, "serenade_connections_refused_total{reason=\"limit\"}").value_or(0), 1u);
  EXPECT_EQ(metric_value(metrics, "serenade_connections_closed_total{reason=\"idle_for_room\"}"), 0u);
}

TEST(fairness, long_lived_answers_are_shared_per_client_and_ipv6_64_behind_a_proxy) {
  stack s({.song_seconds = 120, .speed = 1}, {"--max-streams-per-client", "2", "--trust-proxy"});
  const auto session = s.submit("shares");
  s.wait_for_state(session, is_stream_ready);
  const auto from = [](const std::string& address) { return header_pairs{{"X-Forwarded-For", address}}; };
  const std::string song = "/api/stream/" + session;
  const std::string events = "/api/submissions/" + session + "/events";

  stream_reader first(s.api_port(), song, from("2001:db8:0:7::1"));
  stream_reader second(s.api_port(), events, from("2001:db8:0:7::2"));
  ASSERT_EQ(first.status(), 200u);
  ASSERT_EQ(second.status(), 200u);
  // A new address in the same /64 is the same client.
  auto third = s.api("GET", song, {}, from("2001:db8:0:7:abcd::3"));
  EXPECT_EQ(third.status, 429u);
  EXPECT_EQ(third.header("retry-after"), "5");
  EXPECT_EQ(third.json().at("detail"), "Too many songs are playing from your address. Close one and try again.");
  EXPECT_EQ(s.api("GET", events, {}, from("2001:db8:0:7::9")).status, 429u);

  stream_reader elsewhere(s.api_port(), song, from("2001:db8:0:8::1"));
  EXPECT_EQ(elsewhere.status(), 200u);
  // A share given back is free again.
  first.close();
  wait_until([&] {
    stream_reader again(s.api_port(), song, from("2001:db8:0:7::4"));
    return again.status() == 200u;
  }, [] { return std::string("the stream share was never given back"); });
}

TEST(fairness, a_file_answer_read_below_the_minimum_rate_is_cut) {
  stack s({.song_seconds = 60, .speed = 30, .first_audio = 30},
          {"--min-send-rate", "1000000", "--write-timeout", "5", "--max-connections-per-client", "0"});
  const auto session = s.submit("trickle");
  s.wait_for_state(session, is_complete, 30s);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1));
  const auto whole = s.api("GET", "/api/stream/" + session);
  ASSERT_EQ(whole.status, 200u);
  ASSERT_GT(whole.body.size(), 800'000u);  // well beyond what the kernel buffers hold

  // A reader that keeps taking a little (so no single write stalls) but far below the minimum rate.
  connection trickle(s.api_port());
  const int small = 4096;
  ::setsockopt(trickle.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  trickle.send("GET /api/stream/" + session + " HTTP/1.1\r\nHost: x\r\n\r\n");
  std::size_t received = 0;
  bool closed = false;
  while (!closed && received < whole.body.size() + 1024) {
    char buffer[2048];
    const auto got = ::recv(trickle.fd(), buffer, sizeof buffer, 0);
    if (got <= 0) {
      closed = true;
      break;
    }
    received += static_cast<std::size_t>(got);
    ::usleep(20'000);  // the slow client's own pace: at most 100 KB/s, far from a stall
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(received, whole.body.size());
  EXPECT_EQ(s.metric("serenade_connections_closed_total{reason=\"too_slow\"}"), 1u);
}

}  // namespace
}  // namespace serenade::testing
