// GET /api/stream/{session_id}: the seed's contract, honest errors, and byte-exact relaying.
#include "archive/mp3_frames.hpp"
#include "harness.hpp"
#include "store/submission_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <boost/json.hpp>

#include <thread>

namespace serenade::testing {
namespace {

namespace json = boost::json;


TEST(stream, relays_the_simulators_bytes_while_the_song_is_generated) {
  stack s({.song_seconds = 8, .speed = 2});
  const auto session = s.submit("relay-bytes");
  s.wait_for_state(session, is_stream_ready);

  stream_reader reader(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(reader.status(), 200u);
  EXPECT_EQ(reader.header("content-type"), "audio/mpeg");
  EXPECT_EQ(reader.header("cache-control"), "no-cache, no-store, must-revalidate");
  EXPECT_EQ(reader.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(reader.header("transfer-encoding"), "chunked");
  EXPECT_EQ(reader.header("accept-ranges"), "");

  reader.read_at_least(1);
  const auto while_playing = s.api("GET", "/api/submissions/" + session).json().as_object();
  EXPECT_NE(while_playing.at("status").as_string(), "SUCCESS") << "the first bytes came only after generation ended";

  const auto& body = reader.read_to_end();
  EXPECT_TRUE(reader.ended_cleanly());
  const auto expected = s.simulator_audio(s.task_for("relay-bytes"));
  ASSERT_EQ(body.size(), expected.size());
  EXPECT_TRUE(body == expected) << "relayed bytes differ from the simulator's song";
  const auto scan = archive::scan_mp3(bytes_of(body));
  EXPECT_TRUE(scan.complete) << scan.problem;
  EXPECT_NEAR(scan.duration_seconds, 8.0, 0.2);
}

TEST(stream, unknown_session_is_404) {
  stack s;
  for (const std::string id : {"AAAAAAAAAAAAAAAAAAAAAA", "not-a-session", "..%2f..%2fetc"}) {
    auto reply = s.api("GET", "/api/stream/" + id);
    EXPECT_EQ(reply.status, 404u) << id;
    EXPECT_EQ(reply.header("content-type"), "application/json");
    EXPECT_EQ(reply.body, R"({"detail":"Session not found"})");
  }
}

TEST(stream, before_ready_is_400_streaming_not_ready) {
  stack s({.ready_after = 60});
  const auto session = s.submit("not-ready");
  auto reply = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(reply.body, R"({"detail":"Streaming not ready"})");
  EXPECT_EQ(s.sim("GET", "/_sim/tasks/" + s.task_for("not-ready")).json().at("stream_connections_total").as_int64(), 0)
      << "Serenade asked upstream for a stream that was not ready";
}

TEST(stream, submission_without_task_is_400_no_task_id) {
  stack s;
  auto store = store::open_store(s.database_url());
  store::submission orphan;
  orphan.session_id = "BBBBBBBBBBBBBBBBBBBBBB";
  orphan.sender = "A";
  orphan.recipient = "B";
  orphan.story = "A story without a generation behind it.";
  orphan.style = "ballad";
  orphan.prompt = "p";
  orphan.status = "RECEIVED";
  orphan.created_at = orphan.updated_at = store::now();
  store->insert(orphan);
  auto reply = s.api("GET", "/api/stream/BBBBBBBBBBBBBBBBBBBBBB");
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(reply.body, R"({"detail":"No task ID available"})");
}

TEST(stream, upstream_refusal_is_an_error_with_json_detail_not_an_empty_200) {
  stack s;
  // A stream base where the simulator answers 404 for every stream, past the readiness grace: refused for good.
  s.start_server({"--sonauto-stream-base", "http://127.0.0.1:" + std::to_string(s.sim_port()) + "/elsewhere",
                  "--stream-ready-grace", "1"});
  const auto session = s.submit("refused");
  s.wait_for_state(session, is_stream_ready);
  auto reply = s.api("GET", "/api/stream/" + session);
  // 502 when this listener waited on the refused capture; 503 when the capture had failed before it came.
  EXPECT_TRUE(reply.status == 502u || reply.status == 503u) << reply.status;
  EXPECT_EQ(reply.header("content-type"), "application/json");
  const auto detail = std::string(reply.json().at("detail").as_string());
  EXPECT_NE(detail.find("The music service's stream"), std::string::npos) << detail;
  EXPECT_TRUE(reply.complete);
}

TEST(stream, an_upstream_that_does_not_answer_in_time_is_504_with_json_detail) {
  stack s({.ready_after = 2}, {"--stream-start-timeout", "1"});
  const auto session = s.submit("slow-upstream");
  const auto task = s.task_for("slow-upstream");
  ASSERT_EQ(s.sim("POST", "/_sim/control", R"({"task_id":")" + task + R"(","stall_stream_answer":30})").status, 200u);
  s.wait_for_state(session, is_stream_ready);
  // The simulator holds its answer for 30 s, longer than the harness waits for a reply: any reply is the timeout's.
  auto reply = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(reply.status, 504u);
  EXPECT_EQ(reply.header("content-type"), "application/json");
  EXPECT_FALSE(std::string(reply.json().at("detail").as_string()).empty());
}

TEST(stream, a_departing_listener_is_released_and_the_capture_goes_on) {
  stack s({.song_seconds = 30, .speed = 1});
  const auto session = s.submit("departing");
  s.wait_for_state(session, is_stream_ready);
  const auto task = s.task_for("departing");
  stream_reader reader(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(reader.status(), 200u);
  reader.read_at_least(8 * 1024);
  const auto report = [&] { return s.sim("GET", "/_sim/tasks/" + task).json().as_object(); };
  ASSERT_EQ(report().at("stream_connections_open").as_int64(), 1);

  reader.close();
  s.wait_for_metric("serenade_listeners_ended_total{outcome=\"listener_gone\"}", exactly(1));
  EXPECT_EQ(s.metric("serenade_listeners{state=\"live\"}"), 0u);
  // The song keeps being captured for whoever comes next: still exactly one upstream connection.
  EXPECT_EQ(report().at("stream_connections_open").as_int64(), 1);
  EXPECT_EQ(report().at("stream_connections_total").as_int64(), 1);
}

// While the song does not grow nothing is written to the listener, so no failed write can reveal that it left:
// only the hang-up watch can, and it must.
TEST(stream, a_listener_that_leaves_while_the_song_is_stalled_is_released_before_it_grows) {
  stack s({.song_seconds = 30, .speed = 1});
  const auto session = s.submit("leaves-during-stall");
  const auto task = s.task_for("leaves-during-stall");
  // The stall comes at a frame boundary: listeners are shown whole frames only.
  const auto audio = s.simulator_audio(task);
  const auto offsets = archive::frame_offsets({reinterpret_cast<const std::uint8_t*>(audio.data()), audio.size()});
  const auto at = *std::lower_bound(offsets.begin(), offsets.end(), std::size_t{20000});
  const auto stall = R"({"task_id":")" + task + R"(","stall_at_bytes":)" + std::to_string(at) + R"(,"stall_seconds":30})";
  ASSERT_EQ(s.sim("POST", "/_sim/control", stall).status, 200u);
  s.wait_for_state(session, is_stream_ready);
  stream_reader reader(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(reader.status(), 200u);
  EXPECT_EQ(reader.read_at_least(at).size(), at);

  reader.close();
  s.wait_for_metric("serenade_listeners_ended_total{outcome=\"listener_gone\"}", exactly(1));
  EXPECT_EQ(s.metric("serenade_listeners{state=\"live\"}"), 0u);
  // Noticed while the song was still stalled: nothing was written after the stall.
  EXPECT_EQ(s.metric("serenade_bytes_relayed_total{state=\"live\"}"), at);
  EXPECT_EQ(s.metric("serenade_capture_bytes_total"), at) << "the song grew before the departure was noticed";
}

TEST(stream, an_upstream_failure_mid_song_cuts_the_body_without_a_final_chunk) {
  stack s({.song_seconds = 30, .speed = 1});
  const auto session = s.submit("cut-mid-song");
  s.wait_for_state(session, is_stream_ready);
  stream_reader reader(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(reader.status(), 200u);
  reader.read_at_least(4 * 1024);
  const auto task = s.task_for("cut-mid-song");
  ASSERT_EQ(s.sim("POST", "/_sim/control", R"({"task_id":")" + task + R"(","fail_at":"RECEIVED"})").status, 200u);
  reader.read_to_end();
  EXPECT_FALSE(reader.ended_cleanly());
  EXPECT_TRUE(reader.cut());
  s.wait_for_metric("serenade_listeners_ended_total{outcome=\"upstream_failed\"}", exactly(1));
}

TEST(stream, head_answers_headers_without_a_body) {
  stack s;
  const auto session = s.submit("head");
  s.wait_for_state(session, is_stream_ready);
  const auto connections = [&] {
    return s.sim("GET", "/_sim/tasks/" + s.task_for("head")).json().at("stream_connections_total").as_int64();
  };
  const auto before = connections();
  auto reply = s.api("HEAD", "/api/stream/" + session);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("content-type"), "audio/mpeg");
  EXPECT_TRUE(reply.body.empty());
  EXPECT_EQ(connections(), before) << "HEAD opened an upstream stream";
}

}  // namespace
}  // namespace serenade::testing
