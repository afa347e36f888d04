#pragma once
// GET/HEAD /api/stream/{session_id}/download: a finished song to keep, saved as "For Ben — from Ana.mp3"
// (Content-Disposition) and carrying its own ID3v2 tag (title, artist, lyrics, the share card as cover).
//
// The body is the tag followed by the archived song's MP3 frames (archive/tagged_download.hpp), served with
// Range, HEAD and validators like a file of its own, under its own strong ETag. The archived file and its ETag
// stay as they are; no second copy of the audio is written. 409 while the song is not finished.
#include "http/router.hpp"

#include <boost/asio/awaitable.hpp>

namespace serenade::api {

struct route_context;

boost::asio::awaitable<void> download_song(route_context& ctx, http::exchange& ex, const http::route_params& p);

}  // namespace serenade::api
