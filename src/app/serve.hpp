#pragma once
#include "core/config.hpp"

namespace serenade::app {

// Runs `serenade serve` until SIGINT/SIGTERM; returns the process exit code.
int run_serve(core::serve_config config);

}  // namespace serenade::app
