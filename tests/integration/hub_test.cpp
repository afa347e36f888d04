// The live hub: one upstream connection per song whatever the number of listeners, every listener hears the
// song from byte 0, and a finished song keeps playing after Sonauto's live stream has expired.
#include "archive/mp3_frames.hpp"
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <future>
#include <thread>

namespace serenade::testing {
namespace {

namespace json = boost::json;


TEST(hub, fifty_listeners_share_one_upstream_connection_and_get_identical_bytes) {
  // Fifty listeners from the test's one address: beyond any client's share of streams.
  stack s({.song_seconds = 8, .speed = 2}, {"--max-streams-per-client", "0"});
  const auto session = s.submit("fifty");
  s.wait_for_state(session, is_stream_ready);
  std::vector<std::future<std::pair<std::string, bool>>> listeners;
  for (int i = 0; i < 50; ++i) {
    listeners.push_back(std::async(std::launch::async, [&] {
      stream_reader reader(s.api_port(), "/api/stream/" + session);
      if (reader.status() != 200) return std::pair<std::string, bool>{"status " + std::to_string(reader.status()), false};
      auto body = reader.read_to_end();
      return std::pair<std::string, bool>{body, reader.ended_cleanly()};
    }));
  }
  const auto task = s.task_for("fifty");
  std::vector<std::pair<std::string, bool>> heard;
  for (auto& l : listeners) heard.push_back(l.get());
  const auto expected = s.simulator_audio(task);
  for (std::size_t i = 0; i < heard.size(); ++i) {
    EXPECT_TRUE(heard[i].second) << "listener " << i << " did not get a complete body";
    EXPECT_EQ(heard[i].first.size(), expected.size()) << "listener " << i;
    EXPECT_TRUE(heard[i].first == expected) << "listener " << i << " heard different bytes";
  }
  const auto report = s.sim("GET", "/_sim/tasks/" + task).json().as_object();
  EXPECT_EQ(report.at("stream_connections_total").as_int64(), 1) << "more than one upstream connection for one song";
}

// Sonauto may send its stream frame by frame: listeners at the edge are woken in steps bounded by
// --live-wake-ms (here no step is large enough to show itself), and still hear every byte once, in order.
TEST(hub, per_frame_pieces_reach_edge_listeners_in_bounded_steps_byte_exact) {
  stack s({.song_seconds = 4, .speed = 1, .ready_after = 0.3, .first_audio = 0.5, .extra_args = {"--piece", "frame"}},
          {"--live-wake-ms", "500", "--live-wake-bytes", "262144"});
  const auto started = std::chrono::steady_clock::now();
  const auto session = s.submit("frames");
  s.wait_for_state(session, is_stream_ready);
  stream_reader reader(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(reader.status(), 200u);
  const auto& body = reader.read_to_end();
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto task = s.task_for("frames");
  EXPECT_TRUE(body == s.simulator_audio(task)) << body.size() << " bytes";
  EXPECT_TRUE(reader.ended_cleanly());
  const auto pieces = s.metric("serenade_capture_pieces_total");
  const auto steps = s.metric("serenade_live_steps_total");
  EXPECT_GT(steps, 0u);
  // Apart from the end, a step waits for its first byte's deadline: at most one per 500 ms of capture.
  EXPECT_LE(steps, static_cast<std::uint64_t>(elapsed / 0.5) + 2) << pieces << " pieces in " << elapsed << " s";
}

TEST(hub, a_late_listener_hears_the_song_from_the_first_byte) {
  stack s({.song_seconds = 10, .speed = 1});
  const auto session = s.submit("late");
  s.wait_for_state(session, is_stream_ready);
  const auto task = s.task_for("late");
  const auto song_bytes = s.sim("GET", "/_sim/tasks/" + task).json().at("audio_bytes").as_int64();
  // Join once 80% of the song has been captured.
  s.wait_for_metric("serenade_capture_bytes_total", at_least(static_cast<std::uint64_t>(song_bytes) * 8 / 10), 30s);
  ASSERT_NE(s.api("GET", "/api/submissions/" + session).json().at("phase").as_string(), "complete");
  stream_reader reader(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(reader.status(), 200u);
  const auto& body = reader.read_to_end();
  const auto expected = s.simulator_audio(task);
  EXPECT_TRUE(body == expected) << "late listener got " << body.size() << " of " << expected.size() << " bytes";
}

TEST(hub, a_finished_song_plays_after_the_live_stream_expired) {
  stack s({.song_seconds = 4, .speed = 4, .expire_after = 0.2});
  const auto session = s.submit("expired");
  s.wait_for_state(session, is_complete);
  const auto task = s.task_for("expired");
  // The live stream is gone upstream...
  stream_reader upstream(s.sim_port(), "/stream/" + task);
  EXPECT_NE(upstream.status(), 200u);
  // ...and the song still plays, whole, from Serenade's archive.
  auto reply = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_TRUE(s.is_whole_song(task, reply.body));
  EXPECT_EQ(reply.header("content-length"), std::to_string(reply.body.size()));
  const auto scan = archive::scan_mp3({reinterpret_cast<const std::uint8_t*>(reply.body.data()), reply.body.size()});
  EXPECT_TRUE(scan.complete) << scan.problem;
}

TEST(hub, a_finished_song_answers_ranges_and_validators_like_a_static_file) {
  stack s({.song_seconds = 4, .speed = 4, .expire_after = 0.2});
  const auto session = s.submit("ranges");
  s.wait_for_state(session, is_complete);
  const auto song = s.simulator_final(s.task_for("ranges"));
  const auto len = song.size();
  const std::string target = "/api/stream/" + session;
  // Validators change once, when the verified final copy replaces the live capture: test the final ones.
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1));
  auto whole = s.api("GET", target);
  ASSERT_EQ(whole.status, 200u);
  EXPECT_EQ(whole.header("accept-ranges"), "bytes");
  const auto etag = whole.header("etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_FALSE(etag.starts_with("W/"));
  EXPECT_FALSE(whole.header("last-modified").empty());

  const auto range = [&](const std::string& r) { return s.api("GET", target, {}, {{"Range", r}}); };
  auto first_two = range("bytes=0-1");
  EXPECT_EQ(first_two.status, 206u);
  EXPECT_EQ(first_two.header("content-range"), "bytes 0-1/" + std::to_string(len));
  EXPECT_EQ(first_two.body, song.substr(0, 2));
  auto middle = range("bytes=1000-1999");
  EXPECT_EQ(middle.status, 206u);
  EXPECT_EQ(middle.body, song.substr(1000, 1000));
  auto suffix = range("bytes=-500");
  EXPECT_EQ(suffix.status, 206u);
  EXPECT_EQ(suffix.body, song.substr(len - 500));
  auto open_ended = range("bytes=" + std::to_string(len - 10) + "-");
  EXPECT_EQ(open_ended.status, 206u);
  EXPECT_EQ(open_ended.body, song.substr(len - 10));
  auto beyond = range("bytes=" + std::to_string(len) + "-");
  EXPECT_EQ(beyond.status, 416u);
  EXPECT_EQ(beyond.header("content-range"), "bytes */" + std::to_string(len));
  auto not_modified = s.api("GET", target, {}, {{"If-None-Match", etag}});
  EXPECT_EQ(not_modified.status, 304u);
  EXPECT_TRUE(not_modified.body.empty());
  auto stale = s.api("GET", target, {}, {{"Range", "bytes=0-1"}, {"If-Range", "\"stale\""}});
  EXPECT_EQ(stale.status, 200u);
  EXPECT_EQ(stale.body, song);
  auto head = s.api("HEAD", target);
  EXPECT_EQ(head.status, 200u);
  EXPECT_TRUE(head.body.empty());
  for (const auto* name : {"content-length", "content-type", "etag", "last-modified", "accept-ranges", "cache-control"}) {
    EXPECT_EQ(head.header(name), whole.header(name)) << name;
  }
}

// One keep-alive connection asks for ranges of every size around a loopback segment (32 KiB early in a
// connection, 65483 bytes later): the head and the body's odd bytes go first, the rest in whole segments, and
// the bytes must come out exactly as they are on disk.
TEST(hub, ranges_of_every_size_on_one_connection_come_back_byte_exact) {
  stack s({.song_seconds = 16, .speed = 8, .expire_after = 0.2});
  const auto session = s.submit("sizes");
  s.wait_for_state(session, is_complete);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1));
  const auto song = s.simulator_final(s.task_for("sizes"));
  ASSERT_GT(song.size(), 300000u);
  const std::vector<std::pair<std::size_t, std::size_t>> ranges{
      {0, 1},         {7, 1000},      {100, 32768},   {3, 40000},     {1, 65483},      {4095, 65536},
      {4096, 65536},  {10, 65537},    {999, 100000},  {5, 131072 + 77}, {12345, 196449}, {0, song.size()}};
  const auto whole = [&](std::size_t length) { return length == song.size(); };  // asked without a Range
  std::string requests;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const auto [first, length] = ranges[i];
    requests += "GET /api/stream/" + session + " HTTP/1.1\r\nHost: x\r\n";
    if (!whole(length)) requests += "Range: bytes=" + std::to_string(first) + "-" + std::to_string(first + length - 1) + "\r\n";
    requests += i + 1 == ranges.size() ? "Connection: close\r\n\r\n" : "\r\n";
  }
  const auto answers = raw_exchange(s.api_port(), requests, 20s);
  std::size_t at = 0;
  for (const auto& [first, length] : ranges) {
    SCOPED_TRACE(::testing::Message() << "range of " << length << " bytes from " << first);
    const auto head_end = answers.find("\r\n\r\n", at);
    ASSERT_NE(head_end, std::string::npos);
    const auto head = answers.substr(at, head_end + 2 - at);  // with the last line's CRLF
    const auto expected_status = whole(length) ? "HTTP/1.1 200" : "HTTP/1.1 206";
    ASSERT_TRUE(head.starts_with(expected_status)) << head;
    ASSERT_NE(head.find("Content-Length: " + std::to_string(length) + "\r\n"), std::string::npos) << head;
    const auto body = answers.substr(head_end + 4, length);
    ASSERT_EQ(body.size(), length);
    EXPECT_TRUE(body == song.substr(first, length)) << "different bytes";
    at = head_end + 4 + length;
  }
  EXPECT_EQ(at, answers.size()) << "bytes after the last answer";
}

}  // namespace
}  // namespace serenade::testing
