#pragma once
// Serves one listener from a hub: everything captured so far from byte 0 at network speed, then the live
// edge as the capture grows. Nothing of the song is held in memory: bytes go from the capture file to the
// socket with sendfile. The listener waits for growth notifications, never polls.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace serenade::http {
class exchange;
}

namespace serenade::live {

class hub;
struct hub_counters;

// Why a listener gets no stream. Nothing has been sent yet, so the caller answers (api/http_answers).
struct start_refusal {
  enum class reason {
    archive_unavailable,  // the capture could not be started
    upstream_refused,     // the capture failed before any audio
    start_timeout,        // the capture produced nothing in time
    failed_lately,        // the capture was abandoned a moment ago (live::hub_table::failed_lately)
  };
  reason why;
  std::chrono::seconds retry_after{0};  // failed_lately: when a new capture may be tried
};

// The answer to HEAD of a song being captured, from what is known: no capture is started for it.
boost::asio::awaitable<void> answer_live_head(http::exchange& ex);

// start_timeout bounds the wait for the first captured byte, so a stream that never starts is refused before our
// status line rather than cut after it. Returns the refusal in that case; otherwise the listener was served.
boost::asio::awaitable<std::optional<start_refusal>> serve_listener(http::exchange& ex, std::shared_ptr<hub> song, hub_counters& counters,
                                            std::chrono::seconds start_timeout);

}  // namespace serenade::live
