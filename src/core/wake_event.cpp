#include "core/wake_event.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace serenade::core {

namespace asio = boost::asio;

// Touched only on the executor: notify() posts there.
struct wake_event::state {
  explicit state(asio::any_io_executor executor) : timer(std::move(executor)) {}
  void notify_here() {
    notified = true;
    timer.cancel();
  }
  asio::steady_timer timer;
  bool notified = false;
};

wake_event::wake_event(asio::any_io_executor executor) : state_(std::make_shared<state>(std::move(executor))) {}

wake_event::~wake_event() = default;

asio::awaitable<void> wake_event::async_wait() {
  co_await async_wait_until(clock::time_point::max());
}

asio::awaitable<bool> wake_event::async_wait_until(clock::time_point deadline) {
  auto s = state_;
  if (!s->notified) {
    s->timer.expires_at(deadline);
    co_await s->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (s->notified) {
    s->notified = false;
    co_return true;
  }
  // Neither notified nor expired: the wait itself was cancelled.
  const auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled();
  if (cancelled != asio::cancellation_type::none || s->timer.expiry() > clock::now()) {
    throw boost::system::system_error(asio::error::operation_aborted);
  }
  co_return false;
}

void wake_event::notify() { notifier()(); }

// Holds the state weakly and fits std::function's inline storage: a wake costs no allocation but the post.
std::function<void()> wake_event::notifier() const {
  return [weak = std::weak_ptr<state>(state_)] {
    auto s = weak.lock();
    if (!s) return;
    auto executor = s->timer.get_executor();
    asio::post(executor, [s = std::move(s)] { s->notify_here(); });
  };
}

waiter_list::on_executor wake_event::waiter() const {
  return {state_->timer.get_executor(), [weak = std::weak_ptr<state>(state_)] {
            if (auto s = weak.lock()) s->notify_here();
          }};
}

}  // namespace serenade::core
