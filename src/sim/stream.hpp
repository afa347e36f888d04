#pragma once
// The progressive stream, GET /stream/{task_id}: each connection replays the song from byte 0 up to what is
// generated so far, then sends new audio as it is generated (everything new each --tick, or each MP3 frame as its
// own chunk with --piece frame) until the song is complete. The task's faults decide, when a
// connection opens, whether it is answered late, paused after some bytes, or cut.
#include <cstddef>

namespace serenade::http {
class router;
}

namespace serenade::sim {

struct context;

void add_stream_route(http::router& routes, context& ctx);

// The bytes at the end of a song of `total` bytes that a connection cut by stream_end expire-early never sends:
// stream_tail_held seconds' worth, at most half the song, at least one byte.
std::size_t held_back_bytes(std::size_t total, double song_seconds);

}  // namespace serenade::sim
