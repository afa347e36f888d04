// A listener whose socket accepts no bytes for the write timeout is closed, logged and counted, and the
// song goes on for everyone else.
#include "harness.hpp"

#include <gtest/gtest.h>


#include <string>

namespace serenade::testing {
namespace {

TEST(stall, a_listener_that_accepts_nothing_is_closed_after_the_write_timeout) {
  stack s({.song_seconds = 300, .speed = 30, .first_audio = 60}, {"--write-timeout", "1"});
  const auto session = s.submit("stalled");
  s.wait_for_state(session, is_stream_ready);
  unread_request stalled(s.api_port(), "/api/stream/" + session);
  ASSERT_TRUE(stalled.sent());
  s.wait_for_metric("serenade_stalled_listeners_closed_total", exactly(1));
  stalled.close();
  // Others still hear the song.
  stream_reader other(s.api_port(), "/api/stream/" + session);
  EXPECT_EQ(other.status(), 200u);
  EXPECT_GE(other.read_at_least(256 * 1024).size(), 256u * 1024);
}

}  // namespace
}  // namespace serenade::testing
