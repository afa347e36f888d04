#pragma once
// Sonauto's REST API as Serenade calls it: create a generation, read its status and its result, the credit
// balance. Every request needs the API key; creates may be refused on purpose (service_faults).
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace serenade::http {
class router;
}

namespace serenade::sim {

struct context;
struct task;

// The body of GET /v1/generations/{id} for a task at `status`; song_paths point at `cdn_base`/cdn/{id}.mp3.
boost::json::object generation_result(const task& t, std::string_view status, const std::string& cdn_base);

void add_rest_routes(http::router& routes, context& ctx);

}  // namespace serenade::sim
