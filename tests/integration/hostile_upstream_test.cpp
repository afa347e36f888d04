// Sonauto's answers are data, and listeners never make Sonauto work: a failed stream is remembered instead of
// reopened for every GET or HEAD, a task id that another song already has is refused without undefined
// behaviour or a leaked generating slot, a capture cannot grow past --max-song-bytes, and Sonauto's own words
// never reach the person.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <string>

namespace serenade::testing {
namespace {

TEST(hostile_upstream, get_and_head_storms_on_a_failed_stream_open_no_upstream_stream) {
  stack s;
  // A stream that answers 404 past the readiness grace: refused for good.
  s.start_server({"--sonauto-stream-base", "http://127.0.0.1:" + std::to_string(s.sim_port()) + "/elsewhere",
                  "--stream-ready-grace", "1"});
  const auto session = s.submit("storm");
  s.wait_for_state(session, is_stream_ready);
  const auto first = s.api("GET", "/api/stream/" + session);
  ASSERT_TRUE(first.status == 502u || first.status == 503u) << first.status;
  const auto captures = s.wait_for_metric("serenade_captures_started_total", at_least(1));
  for (int i = 0; i < 20; ++i) {
    const auto again = s.api("GET", "/api/stream/" + session);
    EXPECT_EQ(again.status, 503u);
    EXPECT_FALSE(again.header("retry-after").empty());
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(s.api("HEAD", "/api/stream/" + session).status, 503u);
  EXPECT_EQ(s.metric("serenade_captures_started_total"), captures) << "a listener opened another upstream stream";
}

TEST(hostile_upstream, head_of_a_song_nobody_captures_opens_no_upstream_stream) {
  stack s({.song_seconds = 60, .speed = 1});
  const auto session = s.submit("head-only");
  s.wait_for_state(session, is_stream_ready);
  // A restart: the new process captures nothing until a listener asks.
  ASSERT_EQ(s.server().terminate(10s), 0);
  s.start_server();
  const auto task = s.task_for("head-only");
  const auto connections = [&] {
    return s.sim("GET", "/_sim/tasks/" + task).json().at("stream_connections_total").as_int64();
  };
  s.wait_for_metric("serenade_captures_started_total", [](std::uint64_t) { return true; });
  const auto before = connections();
  for (int i = 0; i < 5; ++i) {
    const auto head = s.api("HEAD", "/api/stream/" + session);
    EXPECT_EQ(head.status, 200u);
    EXPECT_EQ(head.header("content-type"), "audio/mpeg");
  }
  EXPECT_EQ(connections(), before) << "HEAD opened an upstream stream";
}

TEST(hostile_upstream, a_task_id_another_song_has_is_refused_and_frees_its_generating_slot) {
  stack s({.song_seconds = 120, .speed = 1, .extra_args = {"--reuse-task-id"}}, {"--max-generating", "2"});
  const auto first = s.submit("original");
  for (int i = 0; i < 3; ++i) {
    // With a leaked slot the third would be refused by the generating cap (429) instead.
    const auto reply = s.api("POST", "/api/submissions", form_json("Ana", "Ben", story_with("copy" + std::to_string(i)), "pop"));
    EXPECT_EQ(reply.status, 503u) << reply.body;
  }
  EXPECT_EQ(s.metric("serenade_upstream_answers_unusable_total"), 3u);
  EXPECT_TRUE(s.server().running()) << s.server().log();
  const auto original = s.api("GET", "/api/submissions/" + first).json().as_object();
  EXPECT_NE(original.at("phase").as_string(), "failed");
}

TEST(hostile_upstream, a_capture_stops_at_max_song_bytes) {
  const std::uint64_t limit = 1024 * 1024;
  stack s({.song_seconds = 120, .speed = 30}, {"--max-song-bytes", std::to_string(limit)});
  const auto session = s.submit("endless");
  s.wait_for_state(session, is_stream_ready);
  stream_reader listener(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(listener.status(), 200u);
  const auto& body = listener.read_to_end();
  EXPECT_TRUE(listener.cut()) << "a song over the limit ended as if complete";
  EXPECT_LE(body.size(), limit);
  EXPECT_EQ(s.wait_for_metric("serenade_captures_too_large_total", at_least(1)), 1u);
}

TEST(hostile_upstream, sonautos_own_words_never_reach_the_person) {
  stack s({.extra_args = {"--refuse-create", "422"}});
  const auto refused = s.api("POST", "/api/submissions", form_json("Ana", "Ben", story_with("words"), "pop"));
  EXPECT_EQ(refused.status, 422u);
  EXPECT_EQ(refused.body.find("simulated"), std::string::npos) << refused.body;
  EXPECT_NE(s.server().log().find("simulated"), std::string::npos) << "Sonauto's words were not logged";
}

}  // namespace
}  // namespace serenade::testing
