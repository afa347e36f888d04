// Resume, don't restart: upstream drops and server restarts never cost a listener a gap or a repeat.
#include "archive/mp3_frames.hpp"
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <thread>

namespace serenade::testing {
namespace {

namespace json = boost::json;


void arm_drop(stack& s, const std::string& task, std::uint64_t after_bytes) {
  json::object fields{{"task_id", task}, {"drop_after_bytes", after_bytes}};
  ASSERT_EQ(s.sim("POST", "/_sim/control", json::serialize(fields)).status, 200u);
}

std::int64_t stream_connections(stack& s, const std::string& task) {
  return s.sim("GET", "/_sim/tasks/" + task).json().at("stream_connections_total").as_int64();
}

class upstream_drop : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(upstream_drop, a_listener_hears_every_byte_exactly_once) {
  stack s({.song_seconds = 6, .speed = 3, .ready_after = 1.5});
  const auto marker = "drop-" + std::to_string(GetParam());
  const auto session = s.submit(marker);
  const auto task = s.task_for(marker);
  arm_drop(s, task, GetParam());
  s.wait_for_state(session, is_stream_ready);
  stream_reader reader(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(reader.status(), 200u);
  const auto& body = reader.read_to_end();
  EXPECT_TRUE(reader.ended_cleanly());
  const auto expected = s.simulator_audio(task);
  ASSERT_EQ(body.size(), expected.size());
  EXPECT_TRUE(body == expected) << "gap or repeat after an upstream drop at " << GetParam();
  EXPECT_EQ(stream_connections(s, task), 2);
  EXPECT_EQ(s.metric("serenade_upstream_drops_total"), 1u);
}

// At the first byte, on a 16 KiB read boundary, and in the middle of the song.
INSTANTIATE_TEST_SUITE_P(resume, upstream_drop, ::testing::Values(1u, 16384u, 70001u));

TEST(resume, two_drops_in_a_row_still_give_the_exact_song) {
  stack s({.song_seconds = 8, .speed = 2, .ready_after = 1.5});
  const auto session = s.submit("twice");
  const auto task = s.task_for("twice");
  arm_drop(s, task, 30000);
  s.wait_for_state(session, is_stream_ready);
  stream_reader reader(s.api_port(), "/api/stream/" + session);
  s.wait_for_metric("serenade_upstream_drops_total", exactly(1));
  arm_drop(s, task, 60000);  // armed for the reconnect, which waits out a backoff first
  const auto& body = reader.read_to_end();
  EXPECT_TRUE(reader.ended_cleanly());
  EXPECT_TRUE(body == s.simulator_audio(task));
  EXPECT_EQ(stream_connections(s, task), 3);
}

TEST(resume, a_server_killed_mid_song_resumes_its_capture_and_archives_the_exact_song) {
  stack s({.song_seconds = 12, .speed = 2, .ready_after = 1});
  const auto session = s.submit("sigkill");
  s.wait_for_state(session, is_stream_ready);
  // Let the capture hold a real part of the song, then kill without warning.
  stream_reader reader(s.api_port(), "/api/stream/" + session);
  reader.read_at_least(100 * 1024);
  s.server().kill_now();
  s.start_server();
  s.wait_for_metric("serenade_captures_started_total", exactly(1));
  EXPECT_EQ(s.metric("serenade_captures_resumed_total"), 1u) << "the capture started again from nothing";
  s.wait_for_state(session, is_complete, 30s);
  s.wait_for_metric("serenade_captures_completed_total", exactly(1));
  auto song = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(song.status, 200u);
  EXPECT_TRUE(song.body == s.simulator_audio(s.task_for("sigkill")));
  EXPECT_EQ(s.metric("serenade_replay_mismatches_total"), 0u);
}

// A listener that stops reading while the song grows: the chunks written at the live edge meet a full socket
// (the unsent limit at its smallest) and wait for it, partly written. The listener then reads on and must get
// the song byte for byte.
TEST(resume, a_listener_that_pauses_at_the_live_edge_gets_every_byte_in_order) {
  stack s({.song_seconds = 30, .speed = 10, .tick = 0.05}, {"--unsent-limit-bytes", "4096"});
  const auto session = s.submit("pause");
  s.wait_for_state(session, is_stream_ready);
  stream_reader reader(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(reader.status(), 200u);
  reader.read_at_least(1);
  s.wait_for_state(session, is_complete);  // the whole song was generated while the listener did not read
  const auto heard = reader.read_to_end();
  EXPECT_TRUE(reader.ended_cleanly());
  const auto song = s.simulator_audio(s.task_for("pause"));
  EXPECT_EQ(heard.size(), song.size());
  EXPECT_TRUE(heard == song) << "different bytes";
}

// A listener that takes nothing at all is the slowest there is. Were the relay paced by its slowest listener,
// the fast one could not get the whole song while the silent one still hangs on.
TEST(resume, a_slow_listener_does_not_delay_a_fast_one) {
  // Long enough that the song does not fit in the loopback sockets' buffers of the listener that reads nothing.
  stack s({.song_seconds = 18, .speed = 4, .tick = 0.05}, {"--write-timeout", "600"});
  const auto session = s.submit("slow-fast");
  s.wait_for_state(session, is_stream_ready);
  unread_request slow(s.api_port(), "/api/stream/" + session);
  ASSERT_TRUE(slow.sent());
  s.wait_for_metric("serenade_listeners{state=\"live\"}", exactly(1));
  stream_reader fast(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(fast.status(), 200u);
  const auto heard = fast.read_to_end();
  EXPECT_TRUE(fast.ended_cleanly());
  EXPECT_TRUE(heard == s.simulator_audio(s.task_for("slow-fast"))) << "the fast listener did not get the song";
  // Only the fast one left: the silent listener was there all along.
  s.wait_for_metric("serenade_listeners{state=\"live\"}", exactly(1));
  EXPECT_EQ(s.metric("serenade_stalled_listeners_closed_total"), 0u);
}

}  // namespace
}  // namespace serenade::testing

namespace serenade::testing {
namespace {

// A replay that differs from what was captured (here: the capture damaged on disk) is continued at a frame
// boundary: the listener keeps playing whole frames to the end, and the archive ends with Sonauto's final file.
TEST(resume, a_replay_that_differs_from_the_capture_is_spliced_and_the_listener_plays_on) {
  stack s({.song_seconds = 8, .speed = 2, .ready_after = 1});
  const auto session = s.submit("mismatch");
  const auto task = s.task_for("mismatch");
  arm_drop(s, task, 90000);  // about a second after the capture starts
  s.wait_for_state(session, is_stream_ready);
  stream_reader listener(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(listener.status(), 200u);
  // Damage what was captured so far; when the upstream drops, the reconnect's replay no longer matches.
  const auto part = s.dir() + "/archive/" + session + ".part";
  {
    const int fd = ::open(part.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    const char junk = 0x5a;
    ASSERT_EQ(::pwrite(fd, &junk, 1, 10), 1);
    ::close(fd);
  }
  s.wait_for_metric("serenade_replay_splices_total", exactly(1));
  const auto& heard = listener.read_to_end();
  EXPECT_TRUE(listener.ended_cleanly()) << "the listener was cut";
  const auto scan = archive::scan_mp3({reinterpret_cast<const std::uint8_t*>(heard.data()), heard.size()});
  EXPECT_TRUE(scan.complete) << scan.problem;
  EXPECT_EQ(s.metric("serenade_replay_mismatches_total"), 1u);
  s.wait_for_state(session, is_complete, 30s);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1));
  EXPECT_TRUE(s.api("GET", "/api/stream/" + session).body == s.simulator_final(task)) << "the archive is not the song";
}

}  // namespace
}  // namespace serenade::testing
