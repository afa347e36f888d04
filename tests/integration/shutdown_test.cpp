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
  const auto session = s.submit("shutdown order");
  s.wait_for_state(session, is_stream_ready);
  stream_reader listener(s.api_port(), "/api/stream/" + session);
  ASSERT_EQ(listener.status(), 200u);
  listener.read_at_least(1);

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

}  // namespace
}  // namespace serenade::testing
