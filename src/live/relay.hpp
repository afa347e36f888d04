#pragma once
// Relays one song's live upstream stream to one listener.
//
//   open_upstream (bounded wait) → 502/504 with a JSON detail if refused, failed or too slow
//   → start our 200 (headers known) → pump chunk by chunk → finish (final chunk) | cut (no final chunk)
// The listener's departure is watched beside the pump and closes the upstream connection at once.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

namespace serenade::http {
class exchange;
}
namespace serenade::sonauto {
class client;
}

namespace serenade::live {

struct relay_target {
  std::string session_id;
  std::string task_id;
};

// start_timeout bounds the wait for the upstream's status line; past it the listener gets 504.
boost::asio::awaitable<void> relay_live_stream(http::exchange& ex, sonauto::client& client,
                                               const relay_target& target, std::chrono::seconds start_timeout);

}  // namespace serenade::live
