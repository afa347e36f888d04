// The HTTP server itself: health, keep-alive, limits and a graceful stop.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace serenade::testing {
namespace {

TEST(server, healthz_answers_json) {
  stack s;
  auto r = s.api("GET", "/healthz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  auto head = s.api("HEAD", "/healthz");
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.header("content-length"), "15");
  EXPECT_TRUE(head.body.empty());
}

TEST(server, keeps_the_connection_alive_between_requests) {
  stack s;
  const std::string two = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto answer = raw_exchange(s.api_port(), two);
  std::size_t count = 0;
  for (auto at = answer.find("HTTP/1.1 200"); at != std::string::npos; at = answer.find("HTTP/1.1 200", at + 1)) ++count;
  EXPECT_EQ(count, 2u) << answer;
}

TEST(server, serves_the_web_page_and_the_share_link) {
  stack s;
  auto page = s.api("GET", "/");
  EXPECT_EQ(page.status, 200u);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<form"), std::string::npos);
  // The share link is the same page, its preview tags where the page marks their place.
  auto share = s.api("GET", "/s/AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(share.status, 200u);
  const std::string mark = "  <!-- share-preview -->\n";
  const auto at = page.body.find(mark);
  ASSERT_NE(at, std::string::npos);
  ASSERT_TRUE(share.body.starts_with(page.body.substr(0, at)));
  ASSERT_TRUE(share.body.ends_with(page.body.substr(at + mark.size())));
  EXPECT_NE(share.body.find(R"(<meta property="og:image" content="/card.png">)"), std::string::npos);
  auto again = s.api("GET", "/", {}, {{"If-None-Match", page.header("etag")}});
  EXPECT_EQ(again.status, 304u);
}

TEST(server, hands_freed_memory_back_once_a_crowd_has_left) {
  stack s({}, {"--memory-release-after", "3", "--memory-check-interval-ms", "200"});
  {
    std::vector<std::unique_ptr<stream_reader>> crowd;
    for (int i = 0; i < 4; ++i) {
      crowd.push_back(std::make_unique<stream_reader>(s.api_port(), "/healthz"));
      ASSERT_EQ(crowd.back()->status(), 200u);
    }
    // While they stay, nothing is released: the count has not fallen.
    EXPECT_EQ(s.metric("serenade_memory_releases_total"), 0u);
  }
  s.wait_for_metric("serenade_memory_releases_total", at_least(1));
}

// What `ss <flags>` prints for the server side of the one established connection on `port` ("" when none).
std::string server_socket_report(std::uint16_t port, const std::string& flags) {
  const auto command = "ss " + flags + " state established '( sport = :" + std::to_string(port) + " )' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return {};
  std::string out;
  char chunk[512];
  while (const auto n = std::fread(chunk, 1, sizeof chunk, pipe.get())) out.append(chunk, n);
  return out;
}

std::optional<std::uint64_t> number_after(const std::string& report, const std::string& key) {
  const auto at = report.find(key);
  if (at == std::string::npos) return std::nullopt;
  return std::stoull(report.substr(at + key.size()));
}

// The kernel's send buffer size of the server's socket ("tb" in ss's socket memory), or nullopt.
std::optional<std::uint64_t> server_send_buffer(std::uint16_t port) {
  return number_after(server_socket_report(port, "-tmnH"), ",tb");
}

// Bytes the server's socket holds that have not been sent yet (ss shows "notsent:" only when there are some),
// or nullopt when ss shows no such socket.
std::optional<std::uint64_t> server_unsent_bytes(std::uint16_t port) {
  const auto report = server_socket_report(port, "-tinH");
  if (report.empty()) return std::nullopt;
  return number_after(report, " notsent:").value_or(0);
}

// Polls the server's unsent bytes until `enough` says so or `timeout` passes; returns the last reading.
template <class Predicate>
std::uint64_t wait_for_unsent(std::uint16_t port, Predicate enough, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::uint64_t unsent = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    unsent = server_unsent_bytes(port).value_or(0);
    if (enough(unsent)) break;
    std::this_thread::sleep_for(20ms);  // a polling interval, not a synchronisation: the loop waits on the value
  }
  return unsent;
}

// A listener that stops reading after the head: its receive window fills, then the server may queue only
// --unsent-limit-bytes in the kernel for it, plus the one write in progress (at most a 64 KiB segment on
// loopback). Without the limit the kernel takes the rest of the song at once.
TEST(server, queues_little_in_the_kernel_for_a_listener_that_stops_reading) {
  constexpr std::uint64_t limit = 16384;
  constexpr std::uint64_t one_write = 65536;
  const auto unsent_for_stopped_reader = [&](const std::string& option, auto enough) {
    stack s({.song_seconds = 16, .speed = 8}, {"--unsent-limit-bytes", option, "--send-buffer-bytes", "0"});
    const auto session = s.submit("stopped-reader");
    s.wait_for_state(session, is_complete);
    stream_reader reader(s.api_port(), "/api/stream/" + session);
    EXPECT_EQ(reader.status(), 200u);
    return wait_for_unsent(s.api_port(), enough, 10s);
  };
  const auto unlimited = unsent_for_stopped_reader("0", [&](std::uint64_t unsent) { return unsent > limit + one_write; });
  EXPECT_GT(unlimited, limit + one_write) << "without the limit the song waits unsent in the kernel";
  const auto limited = unsent_for_stopped_reader(std::to_string(limit), [](std::uint64_t unsent) { return unsent > 0; });
  EXPECT_GT(limited, 0u) << "the server has more to send than the window takes";
  EXPECT_LE(limited, limit + one_write);
}

TEST(server, bounds_the_send_buffer_of_a_whole_song_download) {
  stack s({}, {"--send-buffer-bytes", "65536"});
  const auto session = s.submit("whole-song-download");
  s.wait_for_state(session, is_complete);
  stream_reader download(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(download.status(), 200u);
  ASSERT_GT(download.read_to_end().size(), 65536u) << "the test song must be longer than the bound";
  // Linux doubles the requested size for its own bookkeeping.
  EXPECT_EQ(server_send_buffer(s.api_port()), std::optional<std::uint64_t>(2 * 65536));
}

TEST(server, leaves_the_send_buffer_to_the_kernel_for_short_answers_and_when_told_to) {
  {
    stack s({}, {"--send-buffer-bytes", "65536"});
    const auto session = s.submit("range-download");
    s.wait_for_state(session, is_complete);
    stream_reader range(s.api_port(), "/api/stream/" + session, {{"Range", "bytes=0-65535"}});
    ASSERT_EQ(range.status(), 206u);
    EXPECT_EQ(range.read_to_end().size(), 65536u);
    const auto size = server_send_buffer(s.api_port());
    ASSERT_TRUE(size.has_value()) << "ss shows the connection";
    EXPECT_NE(*size, 2u * 65536) << "a range no longer than the bound keeps the kernel's autotuning";
  }
  {
    stack s({}, {"--send-buffer-bytes", "0"});
    const auto session = s.submit("unbounded-download");
    s.wait_for_state(session, is_complete);
    stream_reader download(s.api_port(), "/api/stream/" + session);
    ASSERT_EQ(download.status(), 200u);
    download.read_to_end();
    const auto size = server_send_buffer(s.api_port());
    ASSERT_TRUE(size.has_value()) << "ss shows the connection";
    EXPECT_NE(*size, 2u * 128 * 1024) << "0 means no bound, not the default one";
  }
}

// True while the port accepts new connections (a stopping server closes its acceptor first).
bool accepts_connections(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

TEST(server, stops_at_once_on_sigterm_when_idle) {
  // With nothing to drain the grace period is not waited for: the exit comes long before it could be over.
  stack s({}, {"--shutdown-grace", "600"});
  auto code = s.server().terminate(30s);
  ASSERT_TRUE(code.has_value()) << "did not exit";
  EXPECT_EQ(*code, 0);
}

TEST(server, sigterm_lets_a_stream_run_for_the_grace_period_then_closes_it) {
  stack s({.song_seconds = 60, .speed = 1}, {"--shutdown-grace", "3"});
  const auto session = s.submit("grace");
  s.wait_for_state(session, is_stream_ready);
  stream_reader reader(s.api_port(), "/api/stream/" + session);
  reader.read_at_least(1);
  // No more than what was captured before the signal can have been sent before it.
  const auto captured_before = s.metric("serenade_capture_bytes_total");
  ::kill(s.server().pid(), SIGTERM);
  wait_until([&] { return !accepts_connections(s.api_port()); },
             [] { return std::string("the server still accepts connections after SIGTERM"); });
  // Still streaming after the signal...
  EXPECT_GE(reader.read_at_least(captured_before + 8 * 1024).size(), captured_before + 8 * 1024);
  // ...and cut, not completed, once the grace period is over.
  reader.read_to_end();
  EXPECT_TRUE(reader.cut());
  auto code = s.server().terminate(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

}  // namespace
}  // namespace serenade::testing
