#pragma once
// What the lifecycle makes of Sonauto's task states (sonauto/task_status.hpp). Pure functions, tested without I/O.
#include "sonauto/task_status.hpp"

#include <string_view>

namespace serenade::lifecycle {

using sonauto::task_status;

// Position in Sonauto's order; FAILURE and SUCCESS rank last; unknown states rank -1.
int status_rank(task_status status);
// The live stream can be requested (GENERATING_STREAMING_READY or any later state but FAILURE).
bool is_stream_ready(task_status status);
bool is_finished(task_status status);  // SUCCESS or FAILURE

// What the person is waiting for, in the front end's words: "composing", "streaming", "complete", "failed".
std::string_view phase_of(task_status status, bool stream_ready);
// The step the song page shows: "lyrics", "compose", "start", "finish", "done" or "failed".
std::string_view stage_of(task_status status, bool stream_ready);

// The store keeps Sonauto's word (store::submission::status); these read it back.
task_status stored_status(std::string_view stored);
std::string stored_text(task_status status);
inline bool is_finished(std::string_view stored) { return is_finished(stored_status(stored)); }

}  // namespace serenade::lifecycle
