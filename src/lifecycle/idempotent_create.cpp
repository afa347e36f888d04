#include "lifecycle/idempotent_create.hpp"

#include "core/waiter_list.hpp"
#include "core/wake_event.hpp"

#include <boost/asio/this_coro.hpp>

namespace serenade::lifecycle {

namespace asio = boost::asio;

struct idempotent_creates::flight {
  core::waiter_list landed;
  bool done = false;  // guarded by landed's lock
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
      core::wake_event landed(co_await asio::this_coro::executor);
      current->landed.add_unless([&] { return current->done; }, landed.notifier());
      co_await landed.async_wait();
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
        f->landed.change_and_wake([this] { f->done = true; });
      }
    } land{*this, key, current};
    if (auto earlier = co_await repeat()) co_return std::move(*earlier);  // a previous leader just landed
    co_return co_await create();
  }
}

}  // namespace serenade::lifecycle
