#pragma once
// When new audio is shown to a song's listeners. Sonauto sends its stream in small pieces (down to one MP3 frame),
// and every wake costs each listener at the live edge a resumption and a write: waking on every piece makes the
// server's cost grow with pieces × listeners. New bytes are therefore shown once `min_bytes` have gathered, or
// `max_delay` after the first of them arrived, whichever comes first: no byte waits longer than `max_delay`.
// A pure policy on a clock the caller passes in; the hub applies it.
#include <chrono>
#include <cstddef>
#include <optional>

namespace serenade::live {

struct wake_limits {
  std::size_t min_bytes = 16 * 1024;
  std::chrono::milliseconds max_delay{100};
};

class wake_coalescer {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit wake_coalescer(wake_limits limits) : limits_(limits) {}

  // `bytes` were captured at `now`. True when what is pending must be shown now.
  bool captured(std::size_t bytes, time_point now);
  // When what is pending must be shown at the latest; nullopt when nothing is pending.
  std::optional<time_point> deadline() const;
  // True when something is pending and its deadline is `now` or earlier.
  bool due(time_point now) const;
  // What was pending has been shown.
  void shown();

  std::size_t pending_bytes() const { return pending_bytes_; }

 private:
  wake_limits limits_;
  std::size_t pending_bytes_ = 0;
  time_point first_pending_{};
};

}  // namespace serenade::live
