// GET /api/submissions/{session_id}/events: Server-Sent Events of the submission's state, resumable with
// Last-Event-ID, ending after the finishing event, and pushed (a change wakes the stream, no timer does).
#include "harness.hpp"
#include "sse.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <thread>

namespace serenade::testing {
namespace {


std::string events_path(const std::string& session) { return "/api/submissions/" + session + "/events"; }

TEST(events, follow_the_lifecycle_in_order_and_end_after_completion) {
  stack s({.song_seconds = 6, .speed = 4, .ready_after = 1.5});
  const auto session = s.submit("sse-follow");
  stream_reader stream(s.api_port(), events_path(session), 30s);
  ASSERT_EQ(stream.status(), 200u);
  EXPECT_EQ(stream.header("content-type"), "text/event-stream");
  EXPECT_EQ(stream.header("cache-control"), "no-cache");
  EXPECT_EQ(stream.header("x-accel-buffering"), "no");

  sse_reader reader(stream);
  const auto events = reader.until_finished();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(reader.retries_seen, 1);
  EXPECT_EQ(events.back().phase(), "complete");
  EXPECT_EQ(events.back().status(), "SUCCESS");

  std::vector<std::string> distinct;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    EXPECT_EQ(e.event, "state");
    ASSERT_TRUE(e.id.has_value()) << "event " << i << " has no id";
    EXPECT_EQ(e.state().at("session_id").as_string(), session);
    if (i > 0) {
      EXPECT_GT(*e.id, *events[i - 1].id) << "ids must increase";
      EXPECT_GE(rank(e.status()), rank(events[i - 1].status())) << "statuses out of order";
    }
    if (distinct.empty() || distinct.back() != e.status()) distinct.push_back(e.status());
  }
  EXPECT_GE(distinct.size(), 3u);

  stream.read_to_end();
  EXPECT_TRUE(stream.ended_cleanly()) << "the stream must end with the final chunk after completion";
  EXPECT_FALSE(reader.next().has_value()) << "nothing may follow the finishing event";
}

TEST(events, last_event_id_resumes_after_it) {
  stack s({.song_seconds = 6, .speed = 4, .ready_after = 1.5});
  const auto session = s.submit("sse-resume");
  std::vector<sse_event> all;
  {
    stream_reader stream(s.api_port(), events_path(session), 30s);
    sse_reader reader(stream);
    all = reader.until_finished();
  }
  ASSERT_GE(all.size(), 3u);
  const auto middle = *all[1].id;
  const auto expect_after = [&](const std::vector<sse_event>& got) {
    std::vector<std::uint64_t> want;
    for (const auto& e : all) {
      if (*e.id > middle) want.push_back(*e.id);
    }
    std::vector<std::uint64_t> ids;
    for (const auto& e : got) ids.push_back(*e.id);
    EXPECT_EQ(ids, want);
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.back().phase(), "complete");
  };

  stream_reader by_header(s.api_port(), events_path(session), {{"Last-Event-ID", std::to_string(middle)}}, 10s);
  ASSERT_EQ(by_header.status(), 200u);
  expect_after(sse_reader(by_header).until_finished());

  stream_reader by_query(s.api_port(), events_path(session) + "?last_event_id=" + std::to_string(middle), 10s);
  ASSERT_EQ(by_query.status(), 200u);
  expect_after(sse_reader(by_query).until_finished());

  // The client holds the finishing event: 204 tells EventSource to stop reconnecting.
  auto up_to_date = s.api("GET", events_path(session), {}, {{"Last-Event-ID", std::to_string(*all.back().id)}});
  EXPECT_EQ(up_to_date.status, 204u);
}

TEST(events, a_failure_is_the_last_event_with_a_readable_message) {
  stack s({.ready_after = 3});
  const auto session = s.submit("sse-doomed");
  ASSERT_EQ(s.sim("POST", "/_sim/control", R"({"task_id":")" + s.task_for("sse-doomed") + R"(","fail_at":"TASK_SENT"})").status,
            200u);
  stream_reader stream(s.api_port(), events_path(session), 30s);
  const auto events = sse_reader(stream).until_finished();
  ASSERT_FALSE(events.empty());
  const auto last = events.back().state();
  EXPECT_EQ(last.at("phase").as_string(), "failed");
  EXPECT_EQ(last.at("error").as_string(), "The music service could not finish this song.");
  stream.read_to_end();
  EXPECT_TRUE(stream.ended_cleanly());
}

TEST(events, unknown_session_is_404) {
  stack s;
  for (const std::string id : {"AAAAAAAAAAAAAAAAAAAAAA", "not-a-session"}) {
    auto reply = s.api("GET", events_path(id));
    EXPECT_EQ(reply.status, 404u) << id;
    EXPECT_EQ(reply.header("content-type"), "application/json");
    EXPECT_EQ(reply.body, R"({"detail":"Session not found"})");
  }
}

// The change must wake the stream itself: with the heartbeat a minute away no timer of the stream can deliver
// it, so stream_ready has to arrive before any heartbeat comment.
TEST(events, stream_ready_is_pushed_without_waiting_for_a_timer) {
  stack s({.song_seconds = 6, .speed = 4, .ready_after = 1.5}, {"--events-heartbeat-ms", "60000"});
  const auto session = s.submit("sse-push");
  stream_reader stream(s.api_port(), events_path(session), 30s);
  ASSERT_EQ(stream.status(), 200u);
  std::optional<sse_event> ready_event;
  sse_reader reader(stream);
  while (auto e = reader.next()) {
    if (e->state().at("stream_ready").as_bool()) {
      ready_event = e;
      break;
    }
  }
  ASSERT_TRUE(ready_event.has_value());
  EXPECT_EQ(ready_event->status(), "GENERATING_STREAMING_READY");
  EXPECT_EQ(stream.read_at_least(0).find(": heartbeat"), std::string::npos);
}

}  // namespace
}  // namespace serenade::testing

namespace serenade::testing {
namespace {

TEST(events, a_quiet_stream_carries_heartbeat_comments) {
  stack s({.ready_after = 60}, {"--events-heartbeat-ms", "200"});
  const auto session = s.submit("heartbeat");
  stream_reader stream(s.api_port(), "/api/submissions/" + session + "/events");
  ASSERT_EQ(stream.status(), 200u);
  // Nothing changes for a minute: whatever arrives after the first state is the heartbeat's.
  for (std::size_t have = 0;;) {
    const auto& body = stream.read_at_least(have + 1);
    if (body.find(": heartbeat") != std::string::npos) break;
    ASSERT_GT(body.size(), have) << "the stream ended or went silent without a heartbeat";
    have = body.size();
  }
}

}  // namespace
}  // namespace serenade::testing
