#pragma once
// Sonauto's task states, as the lifecycle reads them. Pure functions, tested without I/O.
//
//   RECEIVED → PROMPT → TASK_SENT → GENERATE_TASK_STARTED → BEGINNING_GENERATION → GENERATING
//     → GENERATING_STREAMING_READY → DECOMPRESSING → SAVING → SUCCESS        (FAILURE from any state)
#include <string_view>

namespace serenade::lifecycle {

// Position in the order above; FAILURE and SUCCESS rank last; unknown states rank -1.
int status_rank(std::string_view status);
// The live stream can be requested (GENERATING_STREAMING_READY or any later state but FAILURE).
bool is_stream_ready(std::string_view status);
bool is_finished(std::string_view status);  // SUCCESS or FAILURE

// What the person is waiting for, in the front end's words: "composing", "streaming", "complete", "failed".
std::string_view phase_of(std::string_view status, bool stream_ready);

}  // namespace serenade::lifecycle
