#include "live/replay.hpp"

#include <gtest/gtest.h>

using serenade::live::split_replay;

TEST(replay, first_connection_appends_everything) {
  auto s = split_replay(0, 0, 100);
  EXPECT_EQ(s.verify_length, 0u);
  EXPECT_EQ(s.append_length, 100u);
}

TEST(replay, a_piece_inside_the_stored_prefix_is_only_verified) {
  auto s = split_replay(100, 1000, 200);
  EXPECT_EQ(s.verify_offset, 100u);
  EXPECT_EQ(s.verify_length, 200u);
  EXPECT_EQ(s.append_length, 0u);
}

TEST(replay, a_piece_straddling_the_end_of_the_stored_prefix_is_split) {
  auto s = split_replay(900, 1000, 300);
  EXPECT_EQ(s.verify_offset, 900u);
  EXPECT_EQ(s.verify_length, 100u);
  EXPECT_EQ(s.append_length, 200u);
}

TEST(replay, past_the_stored_prefix_everything_is_new) {
  auto s = split_replay(1000, 1000, 50);
  EXPECT_EQ(s.verify_length, 0u);
  EXPECT_EQ(s.append_length, 50u);
  auto later = split_replay(5000, 1000, 50);
  EXPECT_EQ(later.verify_length, 0u);
  EXPECT_EQ(later.append_length, 50u);
}

TEST(replay, a_piece_exactly_covering_the_prefix) {
  auto s = split_replay(0, 64, 64);
  EXPECT_EQ(s.verify_length, 64u);
  EXPECT_EQ(s.append_length, 0u);
}
