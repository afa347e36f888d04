#include "core/wake_event.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <thread>

namespace asio = boost::asio;
using serenade::core::wake_event;

namespace {

struct wake_event_wait : ::testing::Test {
  asio::io_context io;
  std::unique_ptr<wake_event> event = std::make_unique<wake_event>(io.get_executor());
  int woken = 0;
  std::exception_ptr failure;

  void wait_in_background() {
    asio::co_spawn(io, [this]() -> asio::awaitable<void> {
      co_await event->async_wait();
      ++woken;
    }, [this](std::exception_ptr e) { failure = e; });
  }
};

TEST_F(wake_event_wait, a_waiter_sleeps_until_notified) {
  wait_in_background();
  io.poll();
  EXPECT_EQ(woken, 0);
  event->notify();
  io.poll();
  EXPECT_EQ(woken, 1);
  EXPECT_FALSE(failure);
}

TEST_F(wake_event_wait, a_notify_before_the_wait_is_kept_once) {
  event->notify();
  io.poll();
  io.restart();  // the poll ran out of work
  wait_in_background();
  io.poll();
  EXPECT_EQ(woken, 1);
  io.restart();
  wait_in_background();
  io.poll();
  EXPECT_EQ(woken, 1);  // consumed by the first wait
}

TEST_F(wake_event_wait, notify_from_another_thread_resumes_on_the_executor) {
  wait_in_background();
  io.poll();
  std::thread other([this] { event->notify(); });
  other.join();
  EXPECT_EQ(woken, 0);  // nothing runs until the io_context does
  io.poll();
  EXPECT_EQ(woken, 1);
}

TEST_F(wake_event_wait, a_deadline_ends_the_wait_unnotified) {
  bool notified = true;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    notified = co_await event->async_wait_until(wake_event::clock::now());
  }, [this](std::exception_ptr e) { failure = e; });
  io.run();
  EXPECT_FALSE(notified);
  EXPECT_FALSE(failure);
}

TEST_F(wake_event_wait, a_notifier_outliving_its_event_does_nothing) {
  auto late = event->notifier();
  event.reset();
  late();
  EXPECT_EQ(io.poll(), 0u);
}

TEST_F(wake_event_wait, a_cancelled_wait_throws_operation_aborted) {
  asio::cancellation_signal cancel;
  asio::co_spawn(io, [this]() -> asio::awaitable<void> { co_await event->async_wait(); },
                 asio::bind_cancellation_slot(cancel.slot(), [this](std::exception_ptr e) { failure = e; }));
  io.poll();
  cancel.emit(asio::cancellation_type::terminal);
  io.poll();
  ASSERT_TRUE(failure);
  EXPECT_THROW(std::rethrow_exception(failure), boost::system::system_error);
}

}  // namespace

TEST_F(wake_event_wait, a_waiter_run_on_the_executor_wakes_the_wait) {
  wait_in_background();
  io.poll();
  serenade::core::waiter_list list;
  list.add_unless([] { return false; }, event->waiter());
  list.wake_all();
  io.poll();
  EXPECT_EQ(woken, 1);
  EXPECT_FALSE(failure);
}

TEST_F(wake_event_wait, a_waiter_outliving_its_event_does_nothing) {
  auto late = event->waiter();
  event.reset();
  late.run();
  EXPECT_EQ(io.poll(), 0u);
}
