#pragma once
// Where a simulated generation stands at a given moment after its creation. Pure, so the
// progression is the same whoever asks (status call, stream, result) and easy to test.
#include <optional>
#include <string_view>

namespace serenade::sim {

struct timeline_settings {
  double song_seconds;
  double speed;
  double ready_after;
  double first_audio;
  double finish_delay;
  double expire_after;             // seconds the live stream stays available after SUCCESS (0: gone at SUCCESS)
  bool never_ready = false;        // the task stops at GENERATING and never produces audio
  double cdn_lifetime = 168 * 3600.0;  // seconds the CDN copy stays available after SUCCESS (Sonauto: 168 h)
  double stream_delay = 0;  // seconds after GENERATING_STREAMING_READY before the stream opens (a ready race)
};

struct moment {
  std::string_view status;
  double audio_seconds;  // audio generated so far
  bool stream_open;      // the live stream may be requested (ready, past the stream delay, not yet expired)
  bool expired;          // past the live stream's expiry
  bool succeeded;
  bool cdn_available;    // the CDN copy can be downloaded (succeeded and not yet deleted)
};

// fail_at: a status at which the task fails instead of moving on (FAILURE from then on).
moment moment_at(const timeline_settings& settings, double elapsed, std::optional<std::string_view> fail_at = {});

// Seconds after creation at which the task reaches SUCCESS.
double success_after(const timeline_settings& settings);

// The first instant after `elapsed` at which the status differs from the status at `elapsed` (the status
// changes exactly at that instant: moment_at(settings, returned) already has the new one). nullopt when the
// status never changes again (SUCCESS, FAILURE, or a never-ready task at GENERATING).
std::optional<double> next_change_after(const timeline_settings& settings, double elapsed,
                                        std::optional<std::string_view> fail_at = {});

}  // namespace serenade::sim
