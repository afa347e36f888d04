#include "core/keyed_slots.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace serenade::core {

TEST(keyed_slots, refuses_a_key_at_its_cap_while_others_still_get_slots) {
  keyed_slots slots(2);
  auto a1 = slots.try_take("a");
  auto a2 = slots.try_take("a");
  ASSERT_TRUE(a1 && a2);
  EXPECT_FALSE(slots.try_take("a"));
  EXPECT_TRUE(slots.try_take("b"));
  EXPECT_EQ(slots.held("a"), 2u);
}

TEST(keyed_slots, a_slot_given_back_lets_the_key_take_another) {
  keyed_slots slots(1);
  auto first = slots.try_take("a");
  ASSERT_TRUE(first);
  EXPECT_FALSE(slots.try_take("a"));
  first.reset();
  EXPECT_TRUE(slots.try_take("a"));
}

TEST(keyed_slots, forgets_a_key_that_holds_nothing) {
  keyed_slots slots(4);
  {
    std::vector<keyed_slots::slot> held;
    for (int i = 0; i < 3; ++i) held.push_back(*slots.try_take("k" + std::to_string(i)));
    EXPECT_EQ(slots.keys(), 3u);
  }
  EXPECT_EQ(slots.keys(), 0u);
}

TEST(keyed_slots, a_moved_slot_is_given_back_once) {
  keyed_slots slots(1);
  auto taken = *slots.try_take("a");
  keyed_slots::slot moved = std::move(taken);
  keyed_slots::slot assigned;
  assigned = std::move(moved);
  EXPECT_EQ(slots.held("a"), 1u);
  assigned.release();
  assigned.release();
  EXPECT_EQ(slots.held("a"), 0u);
  EXPECT_TRUE(slots.try_take("a"));
}

TEST(keyed_slots, cap_zero_counts_without_refusing) {
  keyed_slots slots(0);
  std::vector<keyed_slots::slot> held;
  for (int i = 0; i < 100; ++i) {
    auto s = slots.try_take("a");
    ASSERT_TRUE(s);
    held.push_back(std::move(*s));
  }
  EXPECT_EQ(slots.held("a"), 100u);
}

}  // namespace serenade::core
