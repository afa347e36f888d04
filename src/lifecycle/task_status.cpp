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

std::string_view stage_of(task_status status, bool stream_ready) {
  switch (status) {
    case task_status::received:
    case task_status::prompt: return "lyrics";
    case task_status::task_sent:
    case task_status::generate_task_started:
    case task_status::beginning_generation:
    case task_status::generating: return "compose";
    case task_status::generating_streaming_ready: return "start";
    case task_status::decompressing:
    case task_status::saving: return "finish";
    case task_status::success: return "done";
    case task_status::failure: return "failed";
    case task_status::unknown: break;
  }
  return stream_ready ? "start" : "lyrics";
}

task_status stored_status(std::string_view stored) { return sonauto::parse_task_status(stored); }

std::string stored_text(task_status status) { return std::string(sonauto::to_text(status)); }

}  // namespace serenade::lifecycle
