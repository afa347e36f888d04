#pragma once
// Callbacks waiting for a change of some state: a waiter is kept unless the state it waits for already holds,
// and a change wakes every kept waiter once. The check and the change happen under the list's lock, so no
// change can slip between a waiter's check and its registration; waiters are always called with no lock held.
//
// A waiter is either plain (called on the waking thread) or bound to an executor. Waiters whose executors share
// an execution context (an I/O thread's io_context, whatever strand each is on) are woken by one posted function
// that runs them all: a change that wakes thousands of listeners costs each I/O thread one hand-off, not one
// per listener. That function runs in the strand of the first of them; the others' waiters run there too, which
// is exclusive of their own strands only because each context is run by one thread (app/io_threads).
#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace serenade::core {

class waiter_list {
 public:
  using waiter = std::function<void()>;
  // A waiter that must run on the thread of `executor`'s execution context.
  struct on_executor {
    boost::asio::any_io_executor executor;
    waiter run;
  };

  // Waiters taken from lists, to be woken once no lock is held.
  class woken {
   public:
    void add(waiter w) { plain_.push_back(std::move(w)); }
    void add(on_executor w);
    void merge(woken&& other);
    // Calls the plain waiters here and posts one function per executor for the others.
    void wake();
    bool empty() const { return plain_.empty() && groups_.empty(); }
    std::size_t size() const;

   private:
    struct group {
      const void* context;  // grouping key: comparing type-erased executors costs more than the wake itself
      boost::asio::any_io_executor executor;
      std::vector<waiter> waiters;
    };
    void add(const void* context, boost::asio::any_io_executor executor, waiter w);
    std::vector<waiter> plain_;
    std::vector<group> groups_;
  };

  // Keeps `w` unless `ready()` (called under the lock) holds; then `w` runs at once, on the caller's thread.
  template <class Ready>
  void add_unless(Ready&& ready, waiter w) {
    if (!keep_unless(ready, w)) w();
  }
  template <class Ready>
  void add_unless(Ready&& ready, on_executor w) {
    if (!keep_unless(ready, w)) w.run();
  }

  // Keeps `w` for the next wake; for owners that already decided, under their own lock, that it must wait.
  void add(waiter w) {
    std::lock_guard lock(mutex_);
    waiters_.add(std::move(w));
  }

  // Applies `change` under the lock, then wakes every kept waiter (unlocked).
  template <class Change>
  void change_and_wake(Change&& change) {
    auto taken = [&] {
      std::lock_guard lock(mutex_);
      change();
      return std::exchange(waiters_, {});
    }();
    taken.wake();
  }

  void wake_all() {
    change_and_wake([] {});
  }

  // Hands the kept waiters to the caller, who wakes them once it holds no lock of its own.
  woken take_all() {
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
  template <class Ready, class Waiter>
  bool keep_unless(Ready& ready, Waiter& w) {
    std::lock_guard lock(mutex_);
    if (ready()) return false;
    waiters_.add(std::move(w));
    return true;
  }

  mutable std::mutex mutex_;
  woken waiters_;
};

}  // namespace serenade::core
