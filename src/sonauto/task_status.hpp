#pragma once
// Sonauto's task states, read from its status answers once, here; the rest of Serenade speaks of the enum.
//
//   RECEIVED → PROMPT → TASK_SENT → GENERATE_TASK_STARTED → BEGINNING_GENERATION → GENERATING
//     → GENERATING_STREAMING_READY → DECOMPRESSING → SAVING → SUCCESS        (FAILURE from any state)
#include <cstdint>
#include <string>
#include <string_view>

namespace serenade::sonauto {

// In Sonauto's order; failure last, then unknown (a state Serenade has not heard of).
enum class task_status : std::uint8_t {
  received,
  prompt,
  task_sent,
  generate_task_started,
  beginning_generation,
  generating,
  generating_streaming_ready,
  decompressing,
  saving,
  success,
  failure,
  unknown,
};

// What a status answer said: the state, and Sonauto's own word for it (kept for logs when the state is unknown).
struct status_report {
  task_status status = task_status::unknown;
  std::string text;
};

// Sonauto's word for a state ("GENERATING") → the state; any other text is unknown.
task_status parse_task_status(std::string_view text);
// The state → Sonauto's word; "UNKNOWN" for unknown.
std::string_view to_text(task_status status);
status_report report_of(std::string_view text);

}  // namespace serenade::sonauto
