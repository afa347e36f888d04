#include "lifecycle/idempotent_create.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <vector>

namespace serenade::lifecycle {

namespace asio = boost::asio;

struct idempotent_creates::flight {
  std::mutex mutex;
  bool done = false;
  std::vector<std::function<void()>> waiters;
};

asio::awaitable<submission_result> idempotent_creates::run(const std::string& key, const find_earlier& find,
                                                           const create_once& create) {
  const auto repeat = [&]() -> asio::awaitable<std::optional<submission_result>> {
    auto found = co_await find();
    if (!found) co_return std::nullopt;
    co_return submission_result::repeat(std::move(found));
  };
  for (;;) {
    if (auto earlier = co_await repeat()) co_return std::move(*earlier);
    std::shared_ptr<flight> current;
    bool leader = false;
    {
      std::lock_guard lock(mutex_);
      auto& slot = flights_[key];
      if (!slot) {
        slot = std::make_shared<flight>();
        leader = true;
      }
      current = slot;
    }
    if (!leader) {
      auto wake = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
      wake->expires_at(asio::steady_timer::time_point::max());
      bool already_done = false;
      {
        std::lock_guard lock(current->mutex);
        already_done = current->done;
        if (!already_done) {
          current->waiters.emplace_back([wake] { asio::post(wake->get_executor(), [wake] { wake->cancel(); }); });
        }
      }
      if (!already_done) co_await wake->async_wait(asio::as_tuple(asio::use_awaitable));
      continue;  // the leader finished: its row is there, or it was refused and one of us leads next
    }
    // Ends the flight however the leader leaves (answer, exception, cancellation).
    struct landing {
      idempotent_creates& self;
      const std::string& key;
      std::shared_ptr<flight> f;
      ~landing() {
        {
          std::lock_guard lock(self.mutex_);
          self.flights_.erase(key);
        }
        std::vector<std::function<void()>> waiters;
        {
          std::lock_guard lock(f->mutex);
          f->done = true;
          waiters.swap(f->waiters);
        }
        for (auto& w : waiters) w();
      }
    } land{*this, key, current};
    if (auto earlier = co_await repeat()) co_return std::move(*earlier);  // a previous leader just landed
    co_return co_await create();
  }
}

}  // namespace serenade::lifecycle
