#pragma once
// Capped exponential backoff: the wait before retry number `attempt` (0 for the first retry) doubles from
// `first` and never exceeds `max`. Pure, so callers add their own jitter.
#include <algorithm>
#include <chrono>

namespace serenade::core {

struct backoff {
  std::chrono::milliseconds first{250};
  std::chrono::milliseconds max{5000};

  // Doubling stops after ten steps so the multiplication cannot overflow, whatever `attempt` is.
  constexpr std::chrono::milliseconds delay(int attempt) const {
    const int doublings = std::clamp(attempt, 0, 10);
    return std::min<std::chrono::milliseconds>(first * (1 << doublings), max);
  }
};

}  // namespace serenade::core
