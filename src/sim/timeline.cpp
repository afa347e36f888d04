#include "sim/timeline.hpp"

#include <algorithm>
#include <array>

namespace serenade::sim {

namespace {
// Sonauto's order of states before streaming is ready, with the share of ready_after at which each begins.
constexpr std::array<std::pair<std::string_view, double>, 6> early_states{{
    {"RECEIVED", 0.0},
    {"PROMPT", 0.15},
    {"TASK_SENT", 0.35},
    {"GENERATE_TASK_STARTED", 0.5},
    {"BEGINNING_GENERATION", 0.65},
    {"GENERATING", 0.8},
}};
}  // namespace

double success_after(const timeline_settings& s) {
  const double remaining = std::max(0.0, s.song_seconds - s.first_audio);
  return s.ready_after + remaining / s.speed + s.finish_delay;
}

moment moment_at(const timeline_settings& s, double elapsed, std::optional<std::string_view> fail_at) {
  moment m{"RECEIVED", 0.0, false, false, false, false};
  if (elapsed < s.ready_after || s.never_ready) {
    // A never-ready task walks the early states as usual and then stays at GENERATING.
    for (const auto& [status, share] : early_states) {
      if (elapsed >= share * s.ready_after) m.status = status;
    }
  } else {
    const double generated = s.first_audio + (elapsed - s.ready_after) * s.speed;
    m.audio_seconds = std::min(s.song_seconds, generated);
    const double audio_done = s.ready_after + std::max(0.0, s.song_seconds - s.first_audio) / s.speed;
    const double success = success_after(s);
    if (elapsed >= success) {
      m.status = "SUCCESS";
      m.succeeded = true;
      m.expired = elapsed >= success + s.expire_after;
      m.cdn_available = elapsed < success + s.cdn_lifetime;
    } else if (elapsed >= audio_done + s.finish_delay / 2) {
      m.status = "SAVING";
    } else if (elapsed >= audio_done) {
      m.status = "DECOMPRESSING";
    } else {
      m.status = "GENERATING_STREAMING_READY";
    }
    m.stream_open = !m.expired;
  }
  if (fail_at) {
    // Walk the order of states: once the failing state is reached, the task is failed from then on.
    static constexpr std::array<std::string_view, 10> order{
        "RECEIVED", "PROMPT", "TASK_SENT", "GENERATE_TASK_STARTED", "BEGINNING_GENERATION",
        "GENERATING", "GENERATING_STREAMING_READY", "DECOMPRESSING", "SAVING", "SUCCESS"};
    auto position = [&](std::string_view status) {
      return std::find(order.begin(), order.end(), status) - order.begin();
    };
    if (position(m.status) >= position(*fail_at)) {
      m = {"FAILURE", 0.0, false, true, false, false};
    }
  }
  return m;
}

}  // namespace serenade::sim
