#include "core/waiter_list.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

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
  EXPECT_EQ(taken.size(), 2u);
  taken.wake();
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

TEST(waiter_list, waiters_of_one_executor_are_woken_by_one_posted_function) {
  boost::asio::io_context first;
  boost::asio::io_context second;
  waiter_list list;
  int on_first = 0;
  int on_second = 0;
  for (int i = 0; i < 3; ++i) list.add_unless([] { return false; }, {first.get_executor(), [&] { ++on_first; }});
  for (int i = 0; i < 2; ++i) list.add_unless([] { return false; }, {second.get_executor(), [&] { ++on_second; }});
  EXPECT_EQ(list.size(), 5u);
  list.wake_all();
  EXPECT_EQ(on_first + on_second, 0);  // nothing runs on the waking thread
  EXPECT_EQ(first.poll(), 1u);
  EXPECT_EQ(on_first, 3);
  EXPECT_EQ(second.poll(), 1u);
  EXPECT_EQ(on_second, 2);
  list.wake_all();
  EXPECT_EQ(first.poll() + second.poll(), 0u);  // each waiter ran once
}

TEST(waiter_list, a_ready_executor_waiter_runs_at_once_on_the_callers_thread) {
  boost::asio::io_context io;
  waiter_list list;
  int calls = 0;
  list.add_unless([] { return true; }, {io.get_executor(), [&] { ++calls; }});
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(io.poll(), 0u);
}

TEST(waiter_list, merged_batches_keep_one_post_per_executor) {
  boost::asio::io_context io;
  waiter_list a;
  waiter_list b;
  int calls = 0;
  a.add_unless([] { return false; }, {io.get_executor(), [&] { ++calls; }});
  b.add_unless([] { return false; }, {io.get_executor(), [&] { ++calls; }});
  b.add([&] { ++calls; });
  auto woken = a.take_all();
  woken.merge(b.take_all());
  EXPECT_EQ(woken.size(), 3u);
  woken.wake();
  EXPECT_EQ(calls, 1);  // the plain waiter
  EXPECT_EQ(io.poll(), 1u);
  EXPECT_EQ(calls, 3);
}

TEST(waiter_list, waiters_on_different_strands_of_one_context_share_one_post) {
  boost::asio::io_context io;
  waiter_list list;
  int calls = 0;
  for (int i = 0; i < 4; ++i) {
    list.add_unless([] { return false; }, {boost::asio::make_strand(io), [&] { ++calls; }});
  }
  list.wake_all();
  EXPECT_EQ(io.run_one(), 1u);  // the one posted batch (and the strand it runs in)
  EXPECT_EQ(calls, 4);
}
