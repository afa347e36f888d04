// The live hub: one upstream connection per song whatever the number of listeners, every listener hears the
// song from byte 0, and a finished song keeps playing after Sonauto's live stream has expired.
#include "archive/mp3_frames.hpp"
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <future>

namespace serenade::testing {
namespace {

namespace json = boost::json;

bool stream_ready(const json::object& o) { return o.at("stream_ready").as_bool(); }
bool complete(const json::object& o) { return o.at("phase").as_string() == "complete"; }

TEST(hub, fifty_listeners_share_one_upstream_connection_and_get_identical_bytes) {
  stack s({.song_seconds = 8, .speed = 2});
  const auto session = s.submit("fifty");
  s.wait_for_state(session, stream_ready);
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

TEST(hub, a_late_listener_hears_the_song_from_the_first_byte) {
  stack s({.song_seconds = 10, .speed = 2});
  const auto session = s.submit("late");
  s.wait_for_state(session, stream_ready);
  const auto task = s.task_for("late");
  // Join when most of the song has been generated.
  s.wait_for_state(session, [](const json::object& o) { return o.at("status").as_string() != "GENERATING_STREAMING_READY"; },
                   30s);
  stream_reader reader(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(reader.status(), 200u);
  const auto& body = reader.read_to_end();
  const auto expected = s.simulator_audio(task);
  EXPECT_TRUE(body == expected) << "late listener got " << body.size() << " of " << expected.size() << " bytes";
}

TEST(hub, a_finished_song_plays_after_the_live_stream_expired) {
  stack s({.song_seconds = 4, .speed = 4, .expire_after = 0.2});
  const auto session = s.submit("expired");
  s.wait_for_state(session, complete);
  const auto task = s.task_for("expired");
  // The live stream is gone upstream...
  stream_reader upstream(s.sim_port(), "/stream/" + task);
  EXPECT_NE(upstream.status(), 200u);
  // ...and the song still plays, whole, from Serenade's archive.
  auto reply = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.body == s.simulator_audio(task));
  EXPECT_EQ(reply.header("content-length"), std::to_string(reply.body.size()));
  const auto scan = archive::scan_mp3({reinterpret_cast<const std::uint8_t*>(reply.body.data()), reply.body.size()});
  EXPECT_TRUE(scan.complete) << scan.problem;
}

}  // namespace
}  // namespace serenade::testing
