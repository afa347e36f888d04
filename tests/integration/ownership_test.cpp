// Several instances on one PostgreSQL database: each song's work (following, capture, finalisation) is done by the
// one instance holding its lease. When that instance dies another takes the song over once the lease runs out; one
// that stops gives its songs back, so another takes them over at once.
#include "harness.hpp"
#include "sse.hpp"
#include "store/testing/postgres_database.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
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
  // A listener of the other instance hears the song relayed from its owner.
  stream_reader edge_listener(other.port, "/api/stream/" + session, 60s);
  edge_listener.read_at_least(64 * 1024);
  EXPECT_EQ(metric_at(other.port, "serenade_songs_taken_over_total"), 0u) << "taken while its owner lived";
  EXPECT_EQ(lines_about(other.server->log(), "status_changed", session), 0u) << "followed by two instances";

  s.server().kill_now();
  wait_for_metric_at(other.port, "serenade_songs_taken_over_total", exactly(1), 20s);
  const auto done = wait_for_state_at(other.port, session, is_complete, 30s);
  EXPECT_EQ(done.at("status").as_string(), "SUCCESS");
  const auto task = s.task_for("owner-killed");
  // The relayed listener was never cut: its instance went on from Sonauto's replay once it owned the song.
  const auto& relayed = edge_listener.read_to_end();
  EXPECT_TRUE(edge_listener.ended_cleanly());
  EXPECT_TRUE(relayed == s.simulator_audio(task)) << relayed.size() << " bytes heard";
  EXPECT_EQ(s.sim("GET", "/_sim/tasks/" + task).json().at("stream_connections_total").as_int64(), 2)
      << "one Sonauto connection by the owner, then one by the instance that took over";
  // The listener cut by the kill comes back, to the instance that took over, and hears the whole song.
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

// Status events of a song another instance owns: its changes reach this instance through the database
// (LISTEN/NOTIFY), so a person whose event stream was routed here sees every state up to complete.
TEST(ownership, status_events_on_another_instance_see_the_song_to_its_end) {
  store::postgres_database db;
  stack s({.song_seconds = 6, .speed = 2, .ready_after = 1}, {"--database", db.url(), "--lease-seconds", "3"});
  auto other = s.start_instance("b");
  const auto session = s.submit("heard-elsewhere");
  stream_reader events(other.port, events_path(session), 60s);
  sse_reader states(events);
  const auto seen = states.until_finished();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().phase(), "complete");
  EXPECT_TRUE(std::any_of(seen.begin(), seen.end(), [](const sse_event& e) {
    return e.state().at("stream_ready").as_bool() && e.phase() != "complete";
  })) << "the moment the song could be played was not seen";
  EXPECT_EQ(lines_about(other.server->log(), "status_changed", session), 0u) << "followed by the other instance";
  EXPECT_EQ(metric_at(other.port, "serenade_songs_taken_over_total"), 0u);
}

// The database away for longer than a lease: the owner cannot renew, ends its term before anyone may take its
// song, and once the database is back the song is taken over (by it under a new id, or by the other instance)
// and ends as if nothing had happened.
TEST(ownership, an_outage_longer_than_the_lease_fences_the_owner_and_the_song_still_ends) {
  store::postgres_database db;
  stack s({.song_seconds = 12, .speed = 1, .ready_after = 1, .expire_after = 60},
          {"--database", db.url(), "--lease-seconds", "3"});
  auto other = s.start_instance("b");
  const auto session = s.submit("fenced");
  s.wait_for_state(session, is_stream_ready);
  halt_postgres();
  wait_for_metric_at(s.api_port(), "serenade_lease_terms_lost_total", at_least(1), 20s);
  resume_postgres();
  const auto done = wait_for_state_at(other.port, session, is_complete, 60s);
  EXPECT_EQ(done.at("status").as_string(), "SUCCESS");
  const auto taken = metric_at(s.api_port(), "serenade_songs_taken_over_total") +
                     metric_at(other.port, "serenade_songs_taken_over_total");
  EXPECT_EQ(taken, 1u) << "the song was taken over once, by one instance";
  const auto song = request(other.port, "GET", "/api/stream/" + session);
  EXPECT_EQ(song.status, 200u);
  EXPECT_TRUE(s.is_whole_song(s.task_for("fenced"), song.body));
}

// Listeners reach any instance (a failover, a rehash, a client that bypasses the balancer): the instances that do
// not own the song relay it from its owner, so Sonauto still sees one stream connection for the song.
TEST(ownership, listeners_on_every_instance_share_the_owners_one_sonauto_stream) {
  store::postgres_database db;
  // Three hundred listeners from the test's one address: beyond any client's share of connections and streams.
  stack s({.song_seconds = 8, .speed = 2, .ready_after = 1},
          {"--database", db.url(), "--lease-seconds", "3", "--max-streams-per-client", "0",
           "--max-connections-per-client", "0"});
  auto b = s.start_instance("b");
  auto c = s.start_instance("c");
  const auto session = s.submit("everywhere");
  s.wait_for_state(session, is_stream_ready);
  const std::uint16_t ports[] = {s.api_port(), b.port, c.port};
  constexpr int listener_count = 300;
  std::vector<std::future<std::pair<std::string, bool>>> listeners;
  for (int i = 0; i < listener_count; ++i) {
    listeners.push_back(std::async(std::launch::async, [&, port = ports[i % 3]] {
      stream_reader reader(port, "/api/stream/" + session, 60s);
      if (reader.status() != 200) return std::pair<std::string, bool>{"status " + std::to_string(reader.status()), false};
      auto body = reader.read_to_end();
      return std::pair<std::string, bool>{body, reader.ended_cleanly()};
    }));
  }
  const auto task = s.task_for("everywhere");
  const auto expected = s.simulator_audio(task);
  for (int i = 0; i < listener_count; ++i) {
    const auto [body, clean] = listeners[i].get();
    EXPECT_TRUE(clean) << "listener " << i << " (instance " << i % 3 << ") did not get a complete body: " << body.size();
    EXPECT_TRUE(body == expected) << "listener " << i << " (instance " << i % 3 << ") heard other bytes";
  }
  const auto report = s.sim("GET", "/_sim/tasks/" + task).json().as_object();
  EXPECT_EQ(report.at("stream_connections_total").as_int64(), 1) << "more than one Sonauto connection for one song";
  EXPECT_EQ(metric_at(s.api_port(), "serenade_edge_connections_total"), 0u) << "the owner relayed from another";
  EXPECT_GE(metric_at(b.port, "serenade_edge_connections_total"), 1u);
  EXPECT_GE(metric_at(c.port, "serenade_edge_connections_total"), 1u);
}

// An edge relays every song it has listeners for from one address: the owner does not count those relays as one
// client's share of streams (here one stream per client at the owner, two songs relayed), when they carry the key
// derived from the webhook token the instances share.
TEST(ownership, an_edge_relays_more_songs_than_one_clients_share_of_streams) {
  store::postgres_database db;
  stack s({.song_seconds = 8, .speed = 2, .ready_after = 1},
          {"--database", db.url(), "--lease-seconds", "3", "--max-streams-per-client", "1", "--webhook-token",
           test_webhook_token});
  auto edge = s.start_instance("edge", {"--max-streams-per-client", "0"});
  const auto first = s.submit("relayed-one");
  const auto second = s.submit("relayed-two");
  s.wait_for_state(first, is_stream_ready);
  s.wait_for_state(second, is_stream_ready);
  auto listen = [&](const std::string& session) {
    return std::async(std::launch::async, [&edge, session] {
      stream_reader reader(edge.port, "/api/stream/" + session, 60s);
      return reader.status() == 200 ? reader.read_to_end() : "status " + std::to_string(reader.status());
    });
  };
  auto one = listen(first);
  auto two = listen(second);
  EXPECT_TRUE(one.get() == s.simulator_audio(s.task_for("relayed-one")));
  EXPECT_TRUE(two.get() == s.simulator_audio(s.task_for("relayed-two")));
  EXPECT_EQ(metric_at(edge.port, "serenade_edge_connections_total"), 2u) << "a relay was refused and tried again";
  const auto connections = [&](const std::string& marker) {
    return s.sim("GET", "/_sim/tasks/" + s.task_for(marker)).json().at("stream_connections_total").as_int64();
  };
  EXPECT_EQ(connections("relayed-one"), 1);
  EXPECT_EQ(connections("relayed-two"), 1);
}

}  // namespace
}  // namespace serenade::testing
