#pragma once
#include "sim/simulator.hpp"

namespace serenade::app {

// Runs `serenade simulate` until SIGINT/SIGTERM; returns the process exit code.
int run_simulate(const sim::simulator_options& options);

}  // namespace serenade::app
