#pragma once
// The progressive stream, GET /stream/{task_id}: each connection replays the song from byte 0 up to what is
// generated so far, then sends new audio as it is generated (everything new each --tick, or each MP3 frame as its
// own chunk with --piece frame) until the song is complete. The task's faults decide, when a
// connection opens, whether it is answered late, paused after some bytes, or cut.
namespace serenade::http {
class router;
}

namespace serenade::sim {

struct context;

void add_stream_route(http::router& routes, context& ctx);

}  // namespace serenade::sim
