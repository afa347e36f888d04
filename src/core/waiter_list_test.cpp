#include "core/waiter_list.hpp"

#include <gtest/gtest.h>


using serenade::core::waiter_list;

TEST(waiter_list, a_ready_waiter_runs_at_once_and_is_not_kept) {
  waiter_list list;
  int calls = 0;
  list.add_unless([] { return true; }, [&] { ++calls; });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(list.size(), 0u);
  list.wake_all();
  EXPECT_EQ(calls, 1);
}

TEST(waiter_list, a_kept_waiter_runs_once_on_the_next_change) {
  waiter_list list;
  int value = 0;
  int calls = 0;
  list.add_unless([&] { return value > 0; }, [&] { ++calls; });
  EXPECT_EQ(calls, 0);
  list.change_and_wake([&] { value = 1; });
  EXPECT_EQ(calls, 1);
  list.wake_all();
  EXPECT_EQ(calls, 1);
}

TEST(waiter_list, waiters_run_without_the_lock_held) {
  waiter_list list;
  int nested = 0;
  list.add([&] { list.add_unless([] { return true; }, [&] { ++nested; }); });
  list.wake_all();
  EXPECT_EQ(nested, 1);  // a waiter may use the list again: it would deadlock under the lock
}

TEST(waiter_list, take_all_empties_the_list) {
  waiter_list list;
  int calls = 0;
  list.add([&] { ++calls; });
  list.add([&] { ++calls; });
  auto taken = list.take_all();
  EXPECT_EQ(list.size(), 0u);
  for (auto& w : taken) w();
  EXPECT_EQ(calls, 2);
}

TEST(waiter_list, the_check_sees_changes_made_under_the_lock) {
  waiter_list list;
  int value = 0;
  int calls = 0;
  list.change_and_wake([&] { value = 2; });
  list.add_unless([&] { return value == 2; }, [&] { ++calls; });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(list.locked([&] { return value; }), 2);
}
