#include "core/backoff.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using serenade::core::backoff;

TEST(backoff, doubles_from_the_first_delay) {
  const backoff b{100ms, 10'000ms};
  EXPECT_EQ(b.delay(0), 100ms);
  EXPECT_EQ(b.delay(1), 200ms);
  EXPECT_EQ(b.delay(2), 400ms);
  EXPECT_EQ(b.delay(5), 3200ms);
}

TEST(backoff, never_exceeds_the_cap) {
  const backoff b{250ms, 5000ms};
  EXPECT_EQ(b.delay(4), 4000ms);
  EXPECT_EQ(b.delay(5), 5000ms);
  EXPECT_EQ(b.delay(1000), 5000ms);
}

TEST(backoff, stops_doubling_after_ten_steps) {
  const backoff b{1ms, std::chrono::milliseconds::max()};
  EXPECT_EQ(b.delay(10), 1024ms);
  EXPECT_EQ(b.delay(11), 1024ms);
  EXPECT_EQ(b.delay(-3), 1ms);
}

static_assert(backoff{1000ms, 60'000ms}.delay(6) == 60'000ms);
