#include "lifecycle/task_status.hpp"

#include <string>

namespace serenade::lifecycle {

int status_rank(task_status status) {
  switch (status) {
    case task_status::unknown: return -1;
    case task_status::failure: return status_rank(task_status::success);
    default: return static_cast<int>(status);
  }
}

bool is_stream_ready(task_status status) {
  return status != task_status::failure && status_rank(status) >= status_rank(task_status::generating_streaming_ready);
}

bool is_finished(task_status status) { return status == task_status::success || status == task_status::failure; }

std::string_view phase_of(task_status status, bool stream_ready) {
  if (status == task_status::failure) return "failed";
  if (status == task_status::success) return "complete";
  if (stream_ready) return "streaming";
  return "composing";
}

task_status stored_status(std::string_view stored) { return sonauto::parse_task_status(stored); }

std::string stored_text(task_status status) { return std::string(sonauto::to_text(status)); }

}  // namespace serenade::lifecycle
