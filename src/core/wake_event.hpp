#pragma once
// An event a coroutine waits on and anyone wakes: notify() from any thread resumes the waiter on its own
// executor. A notify that comes while nobody waits is kept, so the next wait returns at once (one extra loop
// turn for a stale wake, never a lost one). Waits must run on the executor given at construction (a strand or
// a single-threaded io_context).
#include "core/waiter_list.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace serenade::core {

class wake_event {
 public:
  using clock = std::chrono::steady_clock;

  explicit wake_event(boost::asio::any_io_executor executor);
  ~wake_event();
  wake_event(const wake_event&) = delete;
  wake_event& operator=(const wake_event&) = delete;

  // Completes once notified since the previous wait returned. Throws operation_aborted when the awaiting
  // coroutine is cancelled.
  boost::asio::awaitable<void> async_wait();
  // The same, or at `deadline`: true when notified, false when the deadline came first.
  boost::asio::awaitable<bool> async_wait_until(clock::time_point deadline);

  // Thread-safe. Safe to call after the event is gone: a callback from notifier() then does nothing.
  void notify();
  // A callback that notifies this event while it lives; for waiter lists that may outlive the waiter.
  std::function<void()> notifier() const;
  // The same, bound to the event's executor and run there without a hand-off of its own: a waiter list wakes
  // many of them with one posted function (waiter_list::on_executor).
  waiter_list::on_executor waiter() const;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace serenade::core
