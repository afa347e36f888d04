#pragma once
// What SIGTERM or SIGINT sets off, in order, each step once the one before has finished:
//   0. report not ready (mark_draining) and go on serving for `drain`, so a load balancer's health check takes the
//      instance out before anything is refused; a second signal ends the drain at once
//   1. stop accepting; idle connections close, running answers get the grace period (drain)
//   2. cancel the background work (song followers, captures, finalisations, the memory loop); whatever it had
//      not finished resumes at the next start
//   3. close the song files (the hubs holding captures are let go)
//   4. stop the in-process simulator, then the I/O threads; the blocking pools are joined last, by their owner
// A step that does not finish within the grace period is cut short with a log line, so shutdown always ends.
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace boost::asio {
class io_context;
}
namespace serenade::core {
class task_group;
}
namespace serenade::http {
class server;
}

namespace serenade::app {

struct shutdown_steps {
  std::vector<std::reference_wrapper<http::server>> servers;  // the API's, and the metrics listener if it has one
  core::task_group& background;
  std::function<void()> close_files;
  std::function<void()> stop_simulator;  // may be empty
  std::function<void()> stop_threads;
  std::function<void()> mark_draining;  // may be empty
  std::chrono::seconds drain{0};
  std::chrono::seconds grace{10};
};

// Waits for SIGINT or SIGTERM on `io`, then runs the steps above. Destroyed after `io` has stopped: a
// supervisor's repeated SIGTERM during the last moments of a clean exit must not turn it into death by signal.
class shutdown_on_signal {
 public:
  shutdown_on_signal(boost::asio::io_context& io, shutdown_steps steps);
  ~shutdown_on_signal();
  shutdown_on_signal(const shutdown_on_signal&) = delete;
  shutdown_on_signal& operator=(const shutdown_on_signal&) = delete;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace serenade::app
