// SIGTERM stops the service in order: the server drains, then the background work (song followers, captures,
// finalisations) is cancelled and ends, then the threads stop; a song left unfinished resumes at the next start.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

namespace serenade::testing {
namespace {

// Where the first line of each event stands in the log; npos when it is missing.
std::vector<std::size_t> positions_of(const std::string& log, const std::vector<std::string>& events) {
  std::vector<std::size_t> positions;
  for (const auto& event : events) {
    const auto name = "event=" + event;
    auto at = log.find(name);
    // "event=shutdown" must not match "event=shutdown_drained".
    while (at != std::string::npos && at + name.size() < log.size() && log[at + name.size()] != ' ' &&
           log[at + name.size()] != '\n') {
      at = log.find(name, at + 1);
    }
    positions.push_back(at);
  }
  return positions;
}

TEST(shutdown, drains_then_cancels_background_work_then_stops) {
  stack s({.song_seconds = 120, .speed = 1}, {"--shutdown-grace", "1"});
  auto listener = listen_live(s, s.submit("shutdown order"));

  const auto code = s.server().terminate(30s);
  ASSERT_TRUE(code.has_value()) << "did not exit";
  EXPECT_EQ(*code, 0);
  const auto log = s.server().log();
  const auto at = positions_of(log, {"shutdown", "shutdown_drained", "shutdown_background_stopped", "stopped"});
  for (std::size_t i = 0; i < at.size(); ++i) ASSERT_NE(at[i], std::string::npos) << "step " << i << " missing";
  for (std::size_t i = 1; i < at.size(); ++i) EXPECT_LT(at[i - 1], at[i]) << "step " << i << " out of order";
  // The background work ended because it was cancelled, not because the deadline cut it.
  EXPECT_EQ(log.find("event=shutdown_background_cut"), std::string::npos);
}

// A deploy behind a load balancer: on SIGTERM /readyz turns 503 at once while everything is still served (a
// listener keeps streaming, new connections are answered) for the drain time; only then does the shutdown proper
// stop accepting. The drain is longer than the test: a second SIGTERM ends it.
TEST(shutdown, reports_not_ready_and_keeps_serving_while_it_drains) {
  stack s({.song_seconds = 120, .speed = 1}, {"--drain-seconds", "600", "--shutdown-grace", "1"});
  EXPECT_EQ(s.api("GET", "/readyz").status, 200u);
  EXPECT_EQ(s.api("GET", "/readyz").json().at("status").as_string(), "ready");
  const auto session = s.submit("draining");
  auto listener = listen_live(s, session);
  begin_shutdown(s.server());
  const auto not_ready = s.api("GET", "/readyz");
  EXPECT_EQ(not_ready.status, 503u);
  EXPECT_EQ(not_ready.json().at("detail").as_string(), "Serenade is shutting down");
  EXPECT_EQ(s.api("GET", "/healthz").status, 200u);
  EXPECT_EQ(s.api("GET", "/api/submissions/" + session).status, 200u) << "a request was refused while draining";
  const auto before = listener.read_at_least(1).size();
  listener.read_at_least(before + 1);
  EXPECT_EQ(s.server().log().find("event=shutdown_servers_stopping"), std::string::npos)
      << "the listener closed before the drain was over";

  const auto code = s.server().terminate(30s);
  ASSERT_TRUE(code.has_value()) << "did not exit";
  EXPECT_EQ(*code, 0);
  const auto log = s.server().log();
  const auto at = positions_of(log, {"shutdown", "shutdown_servers_stopping", "shutdown_drained", "stopped"});
  for (std::size_t i = 0; i < at.size(); ++i) ASSERT_NE(at[i], std::string::npos) << "step " << i << " missing";
  for (std::size_t i = 1; i < at.size(); ++i) EXPECT_LT(at[i - 1], at[i]) << "step " << i << " out of order";
}

// One signal, and a drain that ends by its own clock: the wait for a second signal never completes, and the
// process still exits cleanly (under the sanitizers: with nothing left allocated).
TEST(shutdown, a_drain_that_runs_out_by_itself_ends_in_a_clean_exit) {
  stack s({}, {"--drain-seconds", "1", "--shutdown-grace", "1"});
  const auto code = s.server().terminate(30s);
  ASSERT_TRUE(code.has_value()) << "did not exit";
  EXPECT_EQ(*code, 0) << s.server().log();
  EXPECT_NE(s.server().log().find("event=stopped"), std::string::npos);
}

}  // namespace
}  // namespace serenade::testing
