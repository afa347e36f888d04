#pragma once
// Callbacks waiting for a change of some state: a waiter is kept unless the state it waits for already holds,
// and a change wakes every kept waiter once. The check and the change happen under the list's lock, so no
// change can slip between a waiter's check and its registration; waiters are always called with no lock held.
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace serenade::core {

class waiter_list {
 public:
  using waiter = std::function<void()>;

  // Keeps `w` unless `ready()` (called under the lock) holds; then `w` runs at once, on the caller's thread.
  template <class Ready>
  void add_unless(Ready&& ready, waiter w) {
    {
      std::lock_guard lock(mutex_);
      if (!ready()) {
        waiters_.push_back(std::move(w));
        return;
      }
    }
    w();
  }

  // Keeps `w` for the next wake; for owners that already decided, under their own lock, that it must wait.
  void add(waiter w) {
    std::lock_guard lock(mutex_);
    waiters_.push_back(std::move(w));
  }

  // Applies `change` under the lock, then wakes every kept waiter (unlocked).
  template <class Change>
  void change_and_wake(Change&& change) {
    auto woken = [&] {
      std::lock_guard lock(mutex_);
      change();
      return std::exchange(waiters_, {});
    }();
    for (auto& w : woken) w();
  }

  void wake_all() {
    change_and_wake([] {});
  }

  // Hands the kept waiters to the caller, who calls them once it holds no lock of its own.
  std::vector<waiter> take_all() {
    std::lock_guard lock(mutex_);
    return std::exchange(waiters_, {});
  }

  // Runs `read` under the lock: for state that must be consistent with the waiters' checks.
  template <class Read>
  auto locked(Read&& read) const {
    std::lock_guard lock(mutex_);
    return read();
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return waiters_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<waiter> waiters_;
};

}  // namespace serenade::core
