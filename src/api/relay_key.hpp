#pragma once
// Instances of one deployment relay songs to each other (live/hub.hpp, edge): an edge's request for a song carries
// a key derived from the webhook token all of them share, and the owner does not count it as one listener's share
// of streams (an edge relays every song it has listeners for over one address).
#include "http/message.hpp"

#include <string>
#include <string_view>

namespace serenade::api {

inline constexpr std::string_view relay_header = "X-Serenade-Relay";

// HMAC-SHA256 of a fixed label under the webhook token, in hex: the token itself never travels between instances.
std::string relay_key(const std::string& webhook_token);
// Whether the request carries `key` in relay_header (compared in constant time). False when `key` is empty.
bool is_relay(const http::request& request, const std::string& key);

}  // namespace serenade::api
