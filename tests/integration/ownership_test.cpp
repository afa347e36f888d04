// Several instances on one PostgreSQL database: each song's work (following, capture, finalisation) is done by the
// one instance holding its lease. When that instance dies another takes the song over once the lease runs out; one
// that stops gives its songs back, so another takes them over at once.
#include "harness.hpp"
#include "sse.hpp"
#include "store/testing/postgres_database.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace serenade::testing {
namespace {

std::string events_path(const std::string& session) { return "/api/submissions/" + session + "/events"; }

// Log lines of one event about one song.
std::size_t lines_about(const std::string& log, const std::string& event, const std::string& session) {
  std::istringstream lines(log);
  std::size_t found = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(event) != std::string::npos && line.find(session) != std::string::npos) ++found;
  }
  return found;
}

TEST(ownership, a_song_whose_owner_is_killed_is_finished_by_another_instance) {
  store::postgres_database db;
  stack s({.song_seconds = 12, .speed = 2, .ready_after = 1}, {"--database", db.url(), "--lease-seconds", "3"});
  auto other = s.start_instance("b");
  const auto session = s.submit("owner-killed");
  s.wait_for_state(session, is_stream_ready);
  stream_reader events(other.port, events_path(session), 60s);
  sse_reader states(events);
  const auto first = states.next();
  ASSERT_TRUE(first);
  stream_reader listener(s.api_port(), "/api/stream/" + session);
  listener.read_at_least(64 * 1024);
  EXPECT_EQ(metric_at(other.port, "serenade_songs_taken_over_total"), 0u) << "taken while its owner lived";
  EXPECT_EQ(lines_about(other.server->log(), "status_changed", session), 0u) << "followed by two instances";

  s.server().kill_now();
  wait_for_metric_at(other.port, "serenade_songs_taken_over_total", exactly(1), 20s);
  const auto done = wait_for_state_at(other.port, session, is_complete, 30s);
  EXPECT_EQ(done.at("status").as_string(), "SUCCESS");
  // The listener cut by the kill comes back, to the instance that took over, and hears the whole song.
  const auto task = s.task_for("owner-killed");
  const auto song = request(other.port, "GET", "/api/stream/" + session);
  EXPECT_EQ(song.status, 200u);
  EXPECT_TRUE(s.is_whole_song(task, song.body));
  wait_for_metric_at(other.port, "serenade_finalisations_total{outcome=\"ok\"}", exactly(1), 30s);
  EXPECT_EQ(request(other.port, "GET", "/api/stream/" + session).body, s.simulator_final(task));
  // A status-event client of the other instance sees the song go on from where it was to complete.
  EXPECT_TRUE(first->state().at("stream_ready").as_bool());
  const auto rest = states.until_finished();
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back().phase(), "complete");
}

TEST(ownership, an_instance_that_stops_hands_its_songs_over_at_once) {
  store::postgres_database db;
  // A lease far longer than the wait below: only the lease given back lets the other instance take the song.
  stack s({.song_seconds = 12, .speed = 2, .ready_after = 1}, {"--database", db.url(), "--lease-seconds", "600"});
  auto other = s.start_instance("b");
  const auto session = s.submit("owner-stopped");
  s.wait_for_state(session, is_stream_ready);
  ASSERT_EQ(s.server().terminate(20s), 0);
  EXPECT_NE(s.server().log().find("leases_released songs=1"), std::string::npos) << s.server().log();
  wait_for_metric_at(other.port, "serenade_songs_taken_over_total", exactly(1), 20s);
  wait_for_state_at(other.port, session, is_complete, 30s);
  const auto song = request(other.port, "GET", "/api/stream/" + session);
  EXPECT_EQ(song.status, 200u);
  EXPECT_TRUE(s.is_whole_song(s.task_for("owner-stopped"), song.body));
}

TEST(ownership, songs_made_on_either_instance_are_each_followed_by_one) {
  store::postgres_database db;
  stack s({}, {"--database", db.url(), "--lease-seconds", "3"});
  auto other = s.start_instance("b");
  const auto here = s.submit("made-here");
  auto reply = request(other.port, "POST", "/api/submissions",
                       {{"Content-Type", "application/json"}},
                       form_json("Ana", "Ben", story_with("made-there"), "acoustic ballad"));
  ASSERT_EQ(reply.status, 201u) << reply.body;
  const std::string there(reply.json().at("session_id").as_string());
  s.wait_for_state(here, is_complete, 30s);
  s.wait_for_state(there, is_complete, 30s);
  const auto log_here = s.server().log();
  const auto log_there = other.server->log();
  EXPECT_GT(lines_about(log_here, "status_changed", here), 0u);
  EXPECT_EQ(lines_about(log_there, "status_changed", here), 0u);
  EXPECT_GT(lines_about(log_there, "status_changed", there), 0u);
  EXPECT_EQ(lines_about(log_here, "status_changed", there), 0u);
  EXPECT_EQ(metric_at(s.api_port(), "serenade_songs_taken_over_total"), 0u);
  EXPECT_EQ(metric_at(other.port, "serenade_songs_taken_over_total"), 0u);
}

}  // namespace
}  // namespace serenade::testing
