#pragma once
// Background coroutines that belong to a part of the service (followers, finalisations, captures), so that
// shutdown is explicit: close() refuses new tasks, cancel_all() asks every running one to stop (its RAII guards
// run as it unwinds), and on_drained()/async_drained() report when the last has finished. A service stops in
// order by calling these per group: stop accepting → drain → cancel followers → close files → stop pools.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>

namespace serenade::core {

class task_group {
 public:
  // `ended` runs once per task, on its executor, with the exception it ended with (null when it returned or
  // was cancelled). Typically log::failure for a non-null one.
  using ended_handler = std::function<void(std::exception_ptr)>;

  task_group();
  ~task_group();  // cancels what still runs; the tasks end on their executors later
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;

  // Starts `task` on `executor`; false (and nothing starts) once the group is closed.
  bool spawn(boost::asio::any_io_executor executor, boost::asio::awaitable<void> task, ended_handler ended = {});

  // Refuses every later spawn. Running tasks go on.
  void close();
  // Requests terminal cancellation of every running task, each on its own executor.
  void cancel_all();

  // `done` runs once the group is closed and no task runs (at once when that already holds), on the thread
  // that ended the last task or closed the group.
  void on_drained(std::function<void()> done);
  // The same for a coroutine; resumes on its own executor.
  boost::asio::awaitable<void> async_drained();

  std::size_t running() const;
  bool closed() const;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace serenade::core
