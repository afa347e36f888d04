#pragma once
// The service's threads: one io_context per thread, each run by its own thread. A connection lives on one of
// them, so its reads, writes and handlers never hand off between threads (a hand-off costs a wake-up and a
// context switch per event; docs/performance.md, "One io_context per thread"). The service's shared parts
// (hubs, lifecycle, finaliser) run on the first; what connections share is thread-safe.
#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace serenade::app {

class io_threads {
 public:
  explicit io_threads(unsigned count);  // at least one
  ~io_threads();
  io_threads(const io_threads&) = delete;
  io_threads& operator=(const io_threads&) = delete;

  boost::asio::io_context& main();
  boost::asio::any_io_executor main_executor();
  std::vector<boost::asio::any_io_executor> connection_executors();

  // Runs every context (the first on the calling thread) until stop(); then joins the others.
  void run();
  // Thread-safe.
  void stop();

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace serenade::app
