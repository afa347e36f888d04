#pragma once
// The test endpoints under /_sim/: the task list, one task's report (counters and faults) and audio, the
// simulator's stats, and POST /_sim/control, which changes the accepted key, one task's faults and the create
// endpoint's switches (keys and values: fault_table.hpp, or `serenade simulate --help`).
namespace serenade::http {
class router;
}

namespace serenade::sim {

struct context;

void add_control_routes(http::router& routes, context& ctx);

}  // namespace serenade::sim
