#include "sonauto/task_status.hpp"

#include <array>
#include <utility>

namespace serenade::sonauto {

namespace {

// The one table of Sonauto's words.
constexpr std::array<std::pair<task_status, std::string_view>, 12> words{{
    {task_status::received, "RECEIVED"},
    {task_status::prompt, "PROMPT"},
    {task_status::task_sent, "TASK_SENT"},
    {task_status::generate_task_started, "GENERATE_TASK_STARTED"},
    {task_status::beginning_generation, "BEGINNING_GENERATION"},
    {task_status::generating, "GENERATING"},
    {task_status::generating_streaming_ready, "GENERATING_STREAMING_READY"},
    {task_status::decompressing, "DECOMPRESSING"},
    {task_status::saving, "SAVING"},
    {task_status::success, "SUCCESS"},
    {task_status::failure, "FAILURE"},
    {task_status::unknown, "UNKNOWN"},
}};

}  // namespace

task_status parse_task_status(std::string_view text) {
  for (const auto& [status, word] : words) {
    if (status != task_status::unknown && word == text) return status;
  }
  return task_status::unknown;
}

std::string_view to_text(task_status status) {
  for (const auto& [known, word] : words) {
    if (known == status) return word;
  }
  return "UNKNOWN";
}

status_report report_of(std::string_view text) { return {parse_task_status(text), std::string(text)}; }

}  // namespace serenade::sonauto
