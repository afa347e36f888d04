#include "sim/stream.hpp"

#include <gtest/gtest.h>

namespace serenade::sim {
namespace {

TEST(held_back_bytes, is_two_seconds_worth_of_the_song) {
  EXPECT_EQ(held_back_bytes(60'000, 60.0), 2'000u);
  EXPECT_EQ(held_back_bytes(4'800'000, 200.0), 48'000u);
}

TEST(held_back_bytes, is_at_most_half_a_short_song_and_at_least_a_byte) {
  EXPECT_EQ(held_back_bytes(10'000, 2.0), 5'000u);
  EXPECT_EQ(held_back_bytes(10, 600.0), 1u);
  EXPECT_EQ(held_back_bytes(0, 60.0), 0u);
}

}  // namespace
}  // namespace serenade::sim
