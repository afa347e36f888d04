#include "core/task_group.hpp"

#include "core/wake_event.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace asio = boost::asio;
using serenade::core::task_group;
using serenade::core::wake_event;

namespace {

struct grouped_tasks : ::testing::Test {
  asio::io_context io;
  task_group group;
  std::vector<std::string> order;

  // Waits on `event` until cancelled; its guard records when it unwinds.
  asio::awaitable<void> follower(wake_event& event, std::string name) {
    struct guard {
      std::vector<std::string>& order;
      std::string name;
      ~guard() { order.push_back(name + " cleaned up"); }
    } g{order, name};
    for (;;) co_await event.async_wait();
  }
};

TEST_F(grouped_tasks, cancel_all_unwinds_each_task_before_the_group_reports_drained) {
  wake_event a(io.get_executor());
  wake_event b(io.get_executor());
  ASSERT_TRUE(group.spawn(io.get_executor(), follower(a, "a")));
  ASSERT_TRUE(group.spawn(io.get_executor(), follower(b, "b")));
  io.poll();
  EXPECT_EQ(group.running(), 2u);
  group.on_drained([&] { order.push_back("drained"); });
  group.close();
  group.cancel_all();
  io.poll();
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order.back(), "drained");
  EXPECT_EQ(group.running(), 0u);
}

TEST_F(grouped_tasks, spawning_after_close_is_refused) {
  group.close();
  bool ran = false;
  auto task = [&]() -> asio::awaitable<void> {
    ran = true;
    co_return;
  };
  EXPECT_FALSE(group.spawn(io.get_executor(), task()));
  io.poll();
  EXPECT_FALSE(ran);
}

TEST_F(grouped_tasks, drained_waits_for_close_and_for_tasks_that_end_by_themselves) {
  wake_event go(io.get_executor());
  auto task = [&]() -> asio::awaitable<void> {
    co_await go.async_wait();
    order.push_back("task ended");
  };
  ASSERT_TRUE(group.spawn(io.get_executor(), task()));
  bool drained = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await group.async_drained();
    drained = true;
  }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  io.poll();
  go.notify();
  io.poll();
  EXPECT_EQ(order, std::vector<std::string>{"task ended"});
  EXPECT_FALSE(drained) << "not closed yet";
  group.close();
  io.poll();
  EXPECT_TRUE(drained);
}

TEST_F(grouped_tasks, a_failure_reaches_the_ended_handler_and_a_cancellation_does_not) {
  wake_event never(io.get_executor());
  std::vector<std::string> ends;
  auto failing = []() -> asio::awaitable<void> {
    throw std::runtime_error("broken");
    co_return;
  };
  auto record = [&](std::exception_ptr e) { ends.push_back(e ? "failed" : "ok"); };
  ASSERT_TRUE(group.spawn(io.get_executor(), failing(), record));
  ASSERT_TRUE(group.spawn(io.get_executor(), follower(never, "f"), record));
  io.poll();
  group.cancel_all();
  io.poll();
  EXPECT_EQ(ends, (std::vector<std::string>{"failed", "ok"}));
}

}  // namespace
