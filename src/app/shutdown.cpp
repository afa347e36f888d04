#include "app/shutdown.hpp"

#include "core/log.hpp"
#include "core/stop_signals.hpp"
#include "core/task_group.hpp"
#include "http/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

namespace serenade::app {

namespace asio = boost::asio;

// Touched only on the io_context's thread: every step's completion is posted there.
struct shutdown_on_signal::state : std::enable_shared_from_this<state> {
  state(asio::io_context& io, shutdown_steps s) : signals(io, SIGINT, SIGTERM), deadline(io), steps(std::move(s)) {}

  void begin(int signal) {
    SERENADE_LOG(info, "shutdown", "signal", signal, "drain_s", steps.drain.count(), "grace_s", steps.grace.count());
    if (steps.mark_draining) steps.mark_draining();
    if (steps.drain.count() == 0) return stop_servers();
    // A second signal while draining (an impatient operator, a supervisor's repeat) ends the drain at once. The
    // wait holds the state weakly: it may never complete, and a strong hold would keep the state (and what it
    // refers to) alive in a cycle past the end of the process.
    signals.async_wait([weak = weak_from_this()](const boost::system::error_code& error, int) {
      if (auto self = weak.lock(); self && !error) self->stop_servers();
    });
    deadline.expires_after(steps.drain);
    deadline.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (!error) self->stop_servers();
    });
  }

  void stop_servers() {
    if (servers_stopping) return;
    servers_stopping = true;
    deadline.cancel();
    SERENADE_LOG(info, "shutdown_servers_stopping");
    servers_running = steps.servers.size();
    for (http::server& server : steps.servers) {
      server.stop(steps.grace, [self = shared_from_this()] {
        asio::post(self->deadline.get_executor(), [self] {
          if (--self->servers_running == 0) self->cancel_background();
        });
      });
    }
  }

  void cancel_background() {
    SERENADE_LOG(info, "shutdown_drained", "background_tasks", steps.background.running());
    steps.background.close();
    steps.background.cancel_all();
    deadline.expires_after(steps.grace);
    deadline.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (error) return;
      SERENADE_LOG(warn, "shutdown_background_cut", "background_tasks", self->steps.background.running());
      self->finish();
    });
    steps.background.on_drained([self = shared_from_this()] {
      asio::post(self->deadline.get_executor(), [self] { self->finish(); });
    });
  }

  void finish() {
    if (finished) return;
    finished = true;
    deadline.cancel();
    SERENADE_LOG(info, "shutdown_background_stopped");
    steps.close_files();
    if (steps.stop_simulator) steps.stop_simulator();
    steps.stop_threads();
  }

  asio::signal_set signals;
  asio::steady_timer deadline;
  shutdown_steps steps;
  std::size_t servers_running = 0;
  bool servers_stopping = false;
  bool finished = false;
};

shutdown_on_signal::shutdown_on_signal(asio::io_context& io, shutdown_steps steps)
    : state_(std::make_shared<state>(io, std::move(steps))) {
  state_->signals.async_wait([s = state_](const boost::system::error_code& error, int signal) {
    if (!error) s->begin(signal);
  });
}

shutdown_on_signal::~shutdown_on_signal() {
  boost::system::error_code ignored;
  state_->signals.clear(ignored);
  core::ignore_stop_signals_from_now_on();
}

}  // namespace serenade::app
