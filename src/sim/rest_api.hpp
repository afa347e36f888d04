#pragma once
// Sonauto's REST API as Serenade calls it: create a generation, read its status and its result, the credit
// balance. Every request needs the API key; creates may be refused on purpose (create_faults).
namespace serenade::http {
class router;
}

namespace serenade::sim {

struct context;

void add_rest_routes(http::router& routes, context& ctx);

}  // namespace serenade::sim
