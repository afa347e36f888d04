#include "lifecycle/credits.hpp"

#include <gtest/gtest.h>

namespace serenade::lifecycle {
namespace {

TEST(credit_gauge, an_unknown_balance_does_not_refuse) {
  credit_gauge gauge;
  EXPECT_EQ(gauge.balance(), std::nullopt);
  EXPECT_TRUE(gauge.affords_a_song());
  gauge.spent();
  EXPECT_EQ(gauge.balance(), std::nullopt) << "spending from an unknown balance invented one";
}

TEST(credit_gauge, songs_created_since_the_check_are_paid_from_it) {
  credit_gauge gauge;
  gauge.seen(250);
  EXPECT_TRUE(gauge.affords_a_song());
  gauge.spent();
  gauge.spent();
  EXPECT_EQ(gauge.balance(), 50);
  EXPECT_FALSE(gauge.affords_a_song());
  gauge.spent();
  EXPECT_EQ(gauge.balance(), 0) << "the balance went below zero";
  gauge.seen(1000);
  EXPECT_TRUE(gauge.affords_a_song());
}

TEST(credit_gauge, a_402_means_nothing_is_left_until_a_check_says_otherwise) {
  credit_gauge gauge;
  gauge.exhausted();
  EXPECT_EQ(gauge.balance(), 0);
  EXPECT_FALSE(gauge.affords_a_song());
  gauge.seen(100);
  EXPECT_TRUE(gauge.affords_a_song());
}

}  // namespace
}  // namespace serenade::lifecycle
