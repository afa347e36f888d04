#include "lifecycle/unconfirmed_creates.hpp"

#include "core/log.hpp"
#include "core/task_group.hpp"
#include "core/wake_event.hpp"

#include <boost/asio/strand.hpp>

#include <atomic>

namespace serenade::lifecycle {

namespace asio = boost::asio;

struct unconfirmed_creates::wait {
  wait(std::string id, asio::any_io_executor on) : session_id(std::move(id)), strand(on), told(std::move(on)) {}
  std::string session_id;
  asio::any_io_executor strand;
  core::wake_event told;
  std::atomic<bool> confirmed{false};
  std::atomic<bool> holds_slot{true};
};

void unconfirmed_creates::give_slot_back(wait& w) {
  if (w.holds_slot.exchange(false)) ended_();
}

unconfirmed_creates::unconfirmed_creates(asio::any_io_executor executor, core::task_group& background,
                                         std::function<asio::awaitable<void>(const std::string&)> expired,
                                         std::function<void()> ended)
    : executor_(std::move(executor)), background_(background), expired_(std::move(expired)), ended_(std::move(ended)) {}

unconfirmed_creates::~unconfirmed_creates() = default;

void unconfirmed_creates::wait_for(std::string session_id, clock::time_point deadline) {
  auto w = std::make_shared<wait>(std::move(session_id), asio::make_strand(executor_));
  {
    std::lock_guard lock(mutex_);
    waits_[w->session_id] = w;
  }
  const auto ended = [this, w](std::exception_ptr error) {
    {
      std::lock_guard lock(mutex_);
      if (auto it = waits_.find(w->session_id); it != waits_.end() && it->second == w) waits_.erase(it);
    }
    give_slot_back(*w);
    if (error) log::failure(error, "unconfirmed_wait_failed", "session", w->session_id);
  };
  if (!background_.spawn(w->strand, wait_until_told(w, deadline), ended)) ended(nullptr);
}

bool unconfirmed_creates::stop_waiting(std::string_view session_id) {
  std::shared_ptr<wait> w;
  {
    std::lock_guard lock(mutex_);
    if (auto it = waits_.find(std::string(session_id)); it != waits_.end()) w = it->second;
  }
  if (!w) return false;
  w->confirmed = true;
  w->told.notify();
  return true;
}

std::size_t unconfirmed_creates::waiting() const {
  std::lock_guard lock(mutex_);
  return waits_.size();
}

asio::awaitable<void> unconfirmed_creates::wait_until_told(std::shared_ptr<wait> w, clock::time_point deadline) {
  // The wait's result is named before it is tested: GCC 12 miscompiled `if (!co_await …)` in this loop.
  for (;;) {
    const bool told = co_await w->told.async_wait_until(deadline);
    if (w->confirmed) co_return;
    if (!told) break;
  }
  // Before the song is shown failed: whoever sees it failed and tries again finds the slot free.
  give_slot_back(*w);
  auto expiry = expired_(w->session_id);
  co_await std::move(expiry);
}

}  // namespace serenade::lifecycle
