#include "live/wake_coalescer.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace std::chrono_literals;
using serenade::live::wake_coalescer;
using serenade::live::wake_limits;
using time_point = wake_coalescer::time_point;

namespace {

// The hub's use of the policy on a fake clock: bytes arrive in pieces at given times; they are shown when
// captured() says so, or when the deadline passes before the next piece arrives.
struct piece {
  time_point at;
  std::size_t bytes;
};

struct shown_step {
  time_point at;
  std::size_t bytes;
};

std::vector<shown_step> replay(wake_limits limits, const std::vector<piece>& pieces) {
  wake_coalescer coalescer(limits);
  std::vector<shown_step> shown;
  std::size_t pending = 0;
  const auto show = [&](time_point at) {
    shown.push_back({at, pending});
    pending = 0;
    coalescer.shown();
  };
  for (const auto& p : pieces) {
    if (const auto deadline = coalescer.deadline(); deadline && *deadline <= p.at) {
      EXPECT_TRUE(coalescer.due(*deadline));
      show(*deadline);
    }
    pending += p.bytes;
    if (coalescer.captured(p.bytes, p.at)) show(p.at);
  }
  if (const auto deadline = coalescer.deadline()) show(*deadline);
  return shown;
}

}  // namespace

TEST(wake_coalescer, enough_new_bytes_are_shown_at_once) {
  wake_coalescer c({.min_bytes = 100, .max_delay = 50ms});
  const time_point t0{};
  EXPECT_FALSE(c.captured(60, t0));
  EXPECT_TRUE(c.captured(40, t0 + 1ms));
  c.shown();
  EXPECT_FALSE(c.deadline());
  EXPECT_EQ(c.pending_bytes(), 0u);
}

TEST(wake_coalescer, a_few_bytes_are_shown_at_the_deadline_of_the_first) {
  wake_coalescer c({.min_bytes = 100, .max_delay = 50ms});
  const time_point t0{};
  EXPECT_FALSE(c.captured(10, t0));
  EXPECT_FALSE(c.captured(10, t0 + 30ms));
  EXPECT_EQ(c.deadline(), t0 + 50ms);  // the first byte's, not the last one's
  EXPECT_FALSE(c.due(t0 + 49ms));
  EXPECT_TRUE(c.due(t0 + 50ms));
  EXPECT_TRUE(c.captured(10, t0 + 60ms));  // a piece arriving after the deadline is shown with the others
}

TEST(wake_coalescer, nothing_captured_is_nothing_due) {
  wake_coalescer c({.min_bytes = 1, .max_delay = 0ms});
  EXPECT_FALSE(c.captured(0, time_point{}));
  EXPECT_FALSE(c.due(time_point{} + 1h));
  EXPECT_FALSE(c.deadline());
}

TEST(wake_coalescer, a_limit_of_one_byte_shows_every_piece) {
  const time_point t0{};
  const auto shown = replay({.min_bytes = 1, .max_delay = 100ms}, {{t0, 5}, {t0 + 1ms, 7}, {t0 + 2ms, 1}});
  ASSERT_EQ(shown.size(), 3u);
  EXPECT_EQ(shown[0].bytes, 5u);
  EXPECT_EQ(shown[1].bytes, 7u);
  EXPECT_EQ(shown[2].bytes, 1u);
}

// Every byte is shown no later than max_delay after it was captured, and a step shows at least min_bytes unless
// its deadline came first: whatever the upstream's piece sizes and timing.
TEST(wake_coalescer, no_byte_waits_longer_than_the_bound_for_any_arrival_pattern) {
  const wake_limits limits{.min_bytes = 16 * 1024, .max_delay = 100ms};
  std::mt19937 random(7);
  for (int run = 0; run < 200; ++run) {
    std::vector<piece> pieces;
    time_point at{};
    const auto gap_limit = std::uniform_int_distribution<int>(1, 400)(random);
    for (int i = 0; i < 300; ++i) {
      at += std::chrono::milliseconds(std::uniform_int_distribution<int>(0, gap_limit)(random));
      pieces.push_back({at, std::uniform_int_distribution<std::size_t>(1, 20000)(random)});
    }
    const auto shown = replay(limits, pieces);
    // Walk the bytes: each piece's bytes are in the first step at or after its arrival.
    ASSERT_FALSE(shown.empty());
    std::size_t step = 0;
    std::size_t left_in_step = shown[0].bytes;
    std::size_t total_shown = 0;
    for (const auto& s : shown) {
      total_shown += s.bytes;
      EXPECT_GT(s.bytes, 0u);
    }
    std::size_t total = 0;
    for (const auto& p : pieces) {
      total += p.bytes;
      auto bytes = p.bytes;
      while (bytes > 0) {
        ASSERT_LT(step, shown.size());
        const auto taken = std::min(bytes, left_in_step);
        if (taken > 0) {
          EXPECT_GE(shown[step].at, p.at);
          EXPECT_LE(shown[step].at - p.at, limits.max_delay);
        }
        bytes -= taken;
        left_in_step -= taken;
        if (left_in_step == 0 && ++step < shown.size()) left_in_step = shown[step].bytes;
      }
    }
    EXPECT_EQ(total_shown, total);
    // Wakes are bounded by the bytes and by the time, not by the number of pieces.
    const auto span = shown.back().at - pieces.front().at;
    EXPECT_LE(shown.size(), total / limits.min_bytes + static_cast<std::size_t>(span / limits.max_delay) + 1);
  }
}
