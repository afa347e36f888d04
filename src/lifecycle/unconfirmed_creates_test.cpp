#include "lifecycle/unconfirmed_creates.hpp"

#include "core/task_group.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace asio = boost::asio;
using serenade::lifecycle::unconfirmed_creates;

namespace {

struct unconfirmed_waits : ::testing::Test {
  asio::io_context io;
  serenade::core::task_group background;
  std::vector<std::string> expired;
  int ended = 0;
  int ended_before_expiry = -1;
  unconfirmed_creates waits{io.get_executor(), background,
                            [this](const std::string& session) -> asio::awaitable<void> {
                              ended_before_expiry = ended;
                              expired.push_back(session);
                              co_return;
                            },
                            [this] { ++ended; }};
  static unconfirmed_creates::clock::time_point far() { return unconfirmed_creates::clock::now() + std::chrono::hours(1); }
};

TEST_F(unconfirmed_waits, a_wait_that_runs_out_expires_once_and_ends) {
  waits.wait_for("past", unconfirmed_creates::clock::now() - std::chrono::seconds(1));
  io.run();
  EXPECT_EQ(expired, std::vector<std::string>{"past"});
  EXPECT_EQ(ended, 1);
  EXPECT_EQ(ended_before_expiry, 1) << "the slot must be free before the song is shown failed";
  EXPECT_EQ(waits.waiting(), 0u);
  EXPECT_FALSE(waits.stop_waiting("past")) << "a wait that ended is no longer known";
}

TEST_F(unconfirmed_waits, a_confirmed_wait_ends_without_expiring) {
  waits.wait_for("told", far());
  waits.wait_for("untold", far());
  io.poll();
  EXPECT_EQ(waits.waiting(), 2u);
  EXPECT_TRUE(waits.stop_waiting("told"));
  EXPECT_FALSE(waits.stop_waiting("never-waited"));
  io.poll();
  EXPECT_TRUE(expired.empty());
  EXPECT_EQ(ended, 1);
  EXPECT_EQ(waits.waiting(), 1u);
  background.cancel_all();  // shutdown: the other wait ends without expiring, and gives its slot back
  io.run();
  EXPECT_TRUE(expired.empty());
  EXPECT_EQ(ended, 2);
}

}  // namespace
