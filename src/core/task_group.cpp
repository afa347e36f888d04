#include "core/task_group.hpp"

#include "core/wake_event.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace serenade::core {

namespace asio = boost::asio;

namespace {
// One running task. The signal and `finished` are touched only on the task's executor.
struct task_entry {
  explicit task_entry(asio::any_io_executor ex) : executor(std::move(ex)) {}
  asio::any_io_executor executor;
  asio::cancellation_signal cancel;
  bool finished = false;
  bool cancelled = false;
};

bool is_abort(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const boost::system::system_error& e) {
    return e.code() == asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}
}  // namespace

struct task_group::state {
  mutable std::mutex mutex;
  std::unordered_map<std::uint64_t, std::shared_ptr<task_entry>> tasks;
  std::uint64_t next_id = 0;
  bool closed = false;
  std::vector<std::function<void()>> drained;

  // Called with the lock held; the callbacks are run by the caller once it is released.
  std::vector<std::function<void()>> take_drained_if_done() {
    if (!closed || !tasks.empty()) return {};
    return std::exchange(drained, {});
  }
};

namespace {
void run_all(std::vector<std::function<void()>> callbacks) {
  for (auto& callback : callbacks) callback();
}
}  // namespace

task_group::task_group() : state_(std::make_shared<state>()) {}

task_group::~task_group() {
  close();
  cancel_all();
}

bool task_group::spawn(asio::any_io_executor executor, asio::awaitable<void> task, ended_handler ended) {
  auto entry = std::make_shared<task_entry>(executor);
  std::uint64_t id = 0;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->closed) return false;
    id = ++state_->next_id;
    state_->tasks.emplace(id, entry);
  }
  auto on_end = [s = state_, id, entry, ended = std::move(ended)](std::exception_ptr error) {
    entry->finished = true;
    // A task stopped by cancel_all() ended as asked: not a failure.
    if (ended) ended(error && entry->cancelled && is_abort(error) ? nullptr : error);
    std::vector<std::function<void()>> done;
    {
      std::lock_guard lock(s->mutex);
      s->tasks.erase(id);
      done = s->take_drained_if_done();
    }
    run_all(std::move(done));
  };
  asio::co_spawn(executor, std::move(task), asio::bind_cancellation_slot(entry->cancel.slot(), std::move(on_end)));
  return true;
}

void task_group::close() {
  std::vector<std::function<void()>> done;
  {
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
    done = state_->take_drained_if_done();
  }
  run_all(std::move(done));
}

void task_group::cancel_all() {
  std::vector<std::shared_ptr<task_entry>> running;
  {
    std::lock_guard lock(state_->mutex);
    for (auto& [id, entry] : state_->tasks) running.push_back(entry);
  }
  for (auto& entry : running) {
    asio::post(entry->executor, [entry] {
      if (entry->finished) return;
      entry->cancelled = true;
      entry->cancel.emit(asio::cancellation_type::terminal);
    });
  }
}

void task_group::on_drained(std::function<void()> done) {
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->closed || !state_->tasks.empty()) {
      state_->drained.push_back(std::move(done));
      return;
    }
  }
  done();
}

asio::awaitable<void> task_group::async_drained() {
  wake_event drained(co_await asio::this_coro::executor);
  on_drained(drained.notifier());
  co_await drained.async_wait();
}

std::size_t task_group::running() const {
  std::lock_guard lock(state_->mutex);
  return state_->tasks.size();
}

bool task_group::closed() const {
  std::lock_guard lock(state_->mutex);
  return state_->closed;
}

}  // namespace serenade::core
