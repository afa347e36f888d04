#pragma once
// GET/HEAD /api/stream/{session_id}: the song, whichever form it has now.
//
//   finished  → the archived copy as a static file (Range, validators), in order of preference the verified
//               final copy, else the complete live copy; `Content-Location` names that copy's own URL
//   live      → a listener on the song's hub (chunked, from byte 0, no Range)
//   ?v=       → one archived copy, pinned: `v` is the copy's ETag without quotes. It answers that copy's bytes
//               for as long as the file is kept, even after a better copy replaced it, so a player that reads
//               a song by ranges never gets ranges of two different encodes; 404 when no such copy is kept.
#include "http/router.hpp"

#include <boost/asio/awaitable.hpp>

namespace serenade::api {

struct route_context;

boost::asio::awaitable<void> stream_song(route_context& ctx, http::exchange& ex, const http::route_params& p);

}  // namespace serenade::api
