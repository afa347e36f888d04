#pragma once
// The share link as a link preview sees it, without running a script:
//   GET/HEAD /s/{session_id}           → the player page with the song's Open Graph and Twitter Card tags in
//                                        its head (names escaped; no names for a link that names no song)
//   GET/HEAD /s/{session_id}/card.png  → the song's card image (card/), or the card that names nobody
//   GET/HEAD /card.png                 → the card that names nobody
// A link that names no song still gets 200 and a PNG: previews drop an image answered with any other status.
#include "card/preview.hpp"
#include "http/router.hpp"

#include <boost/asio/awaitable.hpp>

namespace serenade::store {
struct submission;
}
namespace serenade::api {

struct route_context;

// What a song's card and tags show of it.
card::song_preview preview_of(const store::submission& s);

boost::asio::awaitable<void> share_page(route_context& ctx, http::exchange& ex, const http::route_params& p);
boost::asio::awaitable<void> song_card(route_context& ctx, http::exchange& ex, const http::route_params& p);
boost::asio::awaitable<void> nameless_card(route_context& ctx, http::exchange& ex, const http::route_params& p);

}  // namespace serenade::api
