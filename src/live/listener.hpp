#pragma once
// Serves one listener from a hub: everything captured so far from byte 0 at network speed, then the live
// edge as the capture grows. Nothing of the song is held in memory: bytes go from the capture file to the
// socket with sendfile. The listener waits for growth notifications, never polls.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>

namespace serenade::http {
class exchange;
}

namespace serenade::live {

class hub;
struct hub_counters;

// start_timeout bounds the wait for the first captured byte: a capture that fails before any audio is a 502,
// one that has produced nothing in time a 504, both with a JSON detail and before our status line.
boost::asio::awaitable<void> serve_listener(http::exchange& ex, std::shared_ptr<hub> song, hub_counters& counters,
                                            std::chrono::seconds start_timeout);

}  // namespace serenade::live
