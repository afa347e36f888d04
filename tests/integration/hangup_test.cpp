// Listeners that hang up in the middle of a file must not take the server down (sendfile to a closed
// socket raises SIGPIPE unless it is ignored).
#include "harness.hpp"

#include <gtest/gtest.h>

namespace serenade::testing {
namespace {

TEST(hangup, listeners_leaving_mid_file_do_not_stop_the_server) {
  stack s({.song_seconds = 60, .speed = 30, .first_audio = 30});
  const auto session = s.submit("hangup");
  s.wait_for_state(session, is_complete, 30s);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1));
  for (int i = 0; i < 20; ++i) {
    unread_request listener(s.api_port(), "/api/stream/" + session);
    ASSERT_TRUE(listener.hang_up_after_a_few_bytes());
  }
  EXPECT_EQ(s.api("GET", "/healthz").status, 200u);
  EXPECT_TRUE(s.server().running()) << "the server died:\n" << s.server().log();
}

}  // namespace
}  // namespace serenade::testing
