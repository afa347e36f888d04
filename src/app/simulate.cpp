#include "app/simulate.hpp"

#include "core/stop_signals.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

namespace serenade::app {

int run_simulate(const sim::simulator_options& options) {
  boost::asio::io_context io(1);
  sim::simulator simulator(io.get_executor(), options);
  // Caught before the listening line: a supervisor may stop the process the moment it reads it.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) { io.stop(); });
  simulator.start();
  io.run();
  signals.clear();
  core::ignore_stop_signals_from_now_on();
  return 0;
}

}  // namespace serenade::app
