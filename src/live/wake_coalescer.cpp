#include "live/wake_coalescer.hpp"

namespace serenade::live {

bool wake_coalescer::captured(std::size_t bytes, time_point now) {
  if (bytes == 0) return false;
  if (pending_bytes_ == 0) first_pending_ = now;
  pending_bytes_ += bytes;
  return pending_bytes_ >= limits_.min_bytes || due(now);
}

std::optional<wake_coalescer::time_point> wake_coalescer::deadline() const {
  if (pending_bytes_ == 0) return std::nullopt;
  return first_pending_ + limits_.max_delay;
}

bool wake_coalescer::due(time_point now) const { return pending_bytes_ > 0 && now >= first_pending_ + limits_.max_delay; }

void wake_coalescer::shown() { pending_bytes_ = 0; }

}  // namespace serenade::live
