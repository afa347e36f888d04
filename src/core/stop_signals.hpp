#pragma once
// SIGINT and SIGTERM while a process is already on its way out.
#include <csignal>

namespace serenade::core {

// Call once the stop signals' asio::signal_set has been cleared (which restores their default action): a
// supervisor's repeated SIGTERM during the last moments of a clean exit must not turn it into death by signal.
inline void ignore_stop_signals_from_now_on() {
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGINT, SIG_IGN);
}

}  // namespace serenade::core
