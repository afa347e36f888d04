#include "lifecycle/task_status.hpp"

#include <array>

namespace serenade::lifecycle {

namespace {
constexpr std::array<std::string_view, 10> order{
    "RECEIVED",      "PROMPT", "TASK_SENT", "GENERATE_TASK_STARTED", "BEGINNING_GENERATION", "GENERATING",
    "GENERATING_STREAMING_READY", "DECOMPRESSING", "SAVING", "SUCCESS"};
}

int status_rank(std::string_view status) {
  if (status == "FAILURE") return static_cast<int>(order.size()) - 1;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i] == status) return static_cast<int>(i);
  }
  return -1;
}

bool is_stream_ready(std::string_view status) {
  return status != "FAILURE" && status_rank(status) >= status_rank("GENERATING_STREAMING_READY");
}

bool is_finished(std::string_view status) { return status == "SUCCESS" || status == "FAILURE"; }

std::string_view phase_of(std::string_view status, bool stream_ready) {
  if (status == "FAILURE") return "failed";
  if (status == "SUCCESS") return "complete";
  if (stream_ready) return "streaming";
  return "composing";
}

}  // namespace serenade::lifecycle
