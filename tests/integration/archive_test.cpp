// When the archive cannot be written, the affected song answers 503 with Retry-After, the failure is
// counted, the capture is retried, and every other song keeps playing.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <thread>

namespace serenade::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;


TEST(archive, an_unwritable_capture_is_503_with_retry_after_and_other_songs_keep_playing) {
  stack s({.song_seconds = 4, .speed = 4, .ready_after = 1.5});
  const auto healthy = s.submit("healthy");
  s.wait_for_state(healthy, is_complete);
  const auto captures_before = s.wait_for_metric("serenade_captures_started_total", exactly(1));

  // Where the broken song's capture file would go, put something that cannot be opened for writing:
  // a directory (permissions would not stop a test running as root).
  const auto broken = s.submit("broken");
  const auto blocker = fs::path(s.dir()) / "archive" / (broken + ".part");
  fs::create_directories(blocker);
  s.wait_for_state(broken, is_stream_ready);

  auto refused = s.api("GET", "/api/stream/" + broken);
  EXPECT_EQ(refused.status, 503u);
  EXPECT_FALSE(refused.header("retry-after").empty());
  EXPECT_EQ(refused.header("content-type"), "application/json");
  EXPECT_FALSE(std::string(refused.json().at("detail").as_string()).empty());
  EXPECT_GE(s.metric("serenade_capture_write_failures_total"), 1u);
  EXPECT_GE(s.metric("serenade_archive_unavailable_total"), 1u);

  // The other song still plays, whole.
  auto other = s.api("GET", "/api/stream/" + healthy);
  EXPECT_EQ(other.status, 200u);
  EXPECT_TRUE(s.is_whole_song(s.task_for("healthy"), other.body));

  // Once the archive is writable again the capture is retried without anyone asking.
  fs::remove(blocker);
  s.wait_for_metric("serenade_captures_started_total", at_least(captures_before + 1));
}

TEST(archive, metrics_speak_prometheus) {
  stack s;
  s.api("GET", "/healthz");
  auto reply = s.api("GET", "/metrics");
  EXPECT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.header("content-type").starts_with("text/plain; version=0.0.4"));
  for (const auto* name : {"serenade_listeners{state=\"live\"}", "serenade_listeners{state=\"final\"}",
                           "serenade_upstream_connections", "serenade_upstream_reconnects_total",
                           "serenade_bytes_relayed_total{state=\"live\"}", "serenade_capture_bytes_total",
                           "serenade_finalisations_total{outcome=\"ok\"}", "serenade_stalled_listeners_closed_total",
                           "serenade_http_requests_total{route=\"/healthz\",status=\"200\"} 1"}) {
    EXPECT_NE(reply.body.find(name), std::string::npos) << name << "\n" << reply.body;
  }
}

TEST(archive, a_live_song_ignores_range_requests) {
  stack s({.song_seconds = 20, .speed = 1});
  const auto session = s.submit("live-range");
  s.wait_for_state(session, is_stream_ready);
  for (const std::string range : {"bytes=0-1", "bytes=99999999-"}) {
    stream_reader reader(s.api_port(), "/api/stream/" + session, {{"Range", range}});
    EXPECT_EQ(reader.status(), 200u) << range;
    EXPECT_EQ(reader.header("accept-ranges"), "") << range;
    EXPECT_EQ(reader.header("transfer-encoding"), "chunked") << range;
    EXPECT_GT(reader.read_at_least(4096).size(), 2u) << range;
  }
}

}  // namespace
}  // namespace serenade::testing
