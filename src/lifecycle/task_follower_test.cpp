#include "lifecycle/task_follower.hpp"

#include <gtest/gtest.h>

namespace serenade::lifecycle {
namespace {

using std::chrono::milliseconds;

lifecycle_options pace() {
  lifecycle_options o;
  o.poll_interval = milliseconds(1500);
  o.poll_interval_with_webhooks = milliseconds(15000);
  return o;
}

TEST(status_poll_pause, is_the_poll_interval_or_the_webhook_pace_without_429s) {
  std::minstd_rand jitter(1);
  EXPECT_EQ(status_poll_pause(pace(), false, 0, jitter), milliseconds(1500));
  EXPECT_EQ(status_poll_pause(pace(), true, 0, jitter), milliseconds(15000));
}

TEST(status_poll_pause, grows_after_each_429_with_jitter_up_to_a_minute_and_a_half) {
  std::minstd_rand jitter(7);
  for (int round = 0; round < 200; ++round) {
    const auto first = status_poll_pause(pace(), false, 1, jitter);
    EXPECT_GE(first, milliseconds(1500));
    EXPECT_LE(first, milliseconds(2250));
    const auto third = status_poll_pause(pace(), false, 3, jitter);
    EXPECT_GE(third, milliseconds(6000)) << "the pause does not grow";
    EXPECT_LE(third, milliseconds(9000));
    const auto many = status_poll_pause(pace(), false, 40, jitter);
    EXPECT_GE(many, milliseconds(60000));
    EXPECT_LE(many, milliseconds(90000)) << "the pause is not capped";
    // Rate-limited and webhook-paced: never sooner than the webhook pace.
    EXPECT_GE(status_poll_pause(pace(), true, 1, jitter), milliseconds(15000));
  }
  // The jitter spreads followers out.
  std::minstd_rand other(8);
  bool differs = false;
  for (int round = 0; round < 20 && !differs; ++round) {
    differs = status_poll_pause(pace(), false, 2, jitter) != status_poll_pause(pace(), false, 2, other);
  }
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace serenade::lifecycle
