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

// Seconds after creation at which all audio is generated (DECOMPRESSING begins). moment_at and
// next_change_after both use this one expression, so their instants agree to the bit.
double audio_done_after(const timeline_settings& s) {
  return s.ready_after + std::max(0.0, s.song_seconds - s.first_audio) / s.speed;
}
double saving_after(const timeline_settings& s) { return audio_done_after(s) + s.finish_delay / 2; }
}  // namespace

double success_after(const timeline_settings& s) { return audio_done_after(s) + s.finish_delay; }

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
    const double audio_done = audio_done_after(s);
    const double success = success_after(s);
    if (elapsed >= success) {
      m.status = "SUCCESS";
      m.succeeded = true;
      m.expired = elapsed >= success + s.expire_after;
      m.cdn_available = elapsed < success + s.cdn_lifetime;
    } else if (elapsed >= saving_after(s)) {
      m.status = "SAVING";
    } else if (elapsed >= audio_done) {
      m.status = "DECOMPRESSING";
    } else {
      m.status = "GENERATING_STREAMING_READY";
    }
    m.stream_open = !m.expired && elapsed >= s.ready_after + s.stream_delay;
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

std::optional<double> next_change_after(const timeline_settings& s, double elapsed,
                                        std::optional<std::string_view> fail_at) {
  // The status is constant between these instants (each is where moment_at compares elapsed with >=),
  // so the first one after `elapsed` whose status differs is the next change. Coinciding instants (no
  // finish delay, ready at once) skip the statuses that last no time at all, as moment_at does.
  std::array<double, early_states.size() + 4> edges{};
  std::size_t n = 0;
  for (const auto& [status, share] : early_states) edges[n++] = share * s.ready_after;
  if (!s.never_ready) {
    edges[n++] = s.ready_after;
    edges[n++] = audio_done_after(s);
    edges[n++] = saving_after(s);
    edges[n++] = success_after(s);
  }
  std::sort(edges.begin(), edges.begin() + static_cast<std::ptrdiff_t>(n));
  const auto now = moment_at(s, elapsed, fail_at).status;
  for (std::size_t i = 0; i < n; ++i) {
    if (edges[i] > elapsed && moment_at(s, edges[i], fail_at).status != now) return edges[i];
  }
  return std::nullopt;
}

}  // namespace serenade::sim
