#pragma once
// The progressive stream, GET /stream/{task_id}: each connection replays the song from byte 0 up to what is
// generated so far, then sends new audio every tick until the song is complete. The task's faults decide, when a
// connection opens, whether it is answered late, paused after some bytes, or cut.
namespace serenade::http {
class router;
}

namespace serenade::sim {

struct context;

void add_stream_route(http::router& routes, context& ctx);

}  // namespace serenade::sim
