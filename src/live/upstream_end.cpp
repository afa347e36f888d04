#include "live/upstream_end.hpp"

namespace serenade::live {

using sonauto::task_status;

namespace {

// Every audio byte exists once the status is past generation: a stream that has nothing new is finished.
bool generation_done(const std::optional<task_status>& status) {
  return status == task_status::decompressing || status == task_status::saving || status == task_status::success;
}

end_verdict judge_refusal(const connection_end& end) {
  const auto code = end.refusal_status;
  if (end.upstream_status == task_status::failure) return end_verdict::abandon;
  // 400 "not ready" or 404 for a moment after the status said ready: the stream has not caught up yet.
  if (!end.captured_any && (code == 400 || code == 404) && end.within_ready_grace) return end_verdict::retry;
  // 404 once bytes were captured: the stream expired after SUCCESS, possibly before its tail was read.
  if (code == 404 && end.captured_any && generation_done(end.upstream_status)) return end_verdict::complete;
  // 408 and 429 change by asking again; other 4xx do not.
  if (code >= 400 && code < 500 && code != 408 && code != 429) return end_verdict::abandon;
  return end_verdict::retry;
}

}  // namespace

end_verdict judge_connection_end(const connection_end& end) {
  if (end.refused) return judge_refusal(end);
  if (end.upstream_status == task_status::failure) return end_verdict::abandon;
  if (!end.captured_any) return end_verdict::retry;
  // A cut after generation is over is how the stream ends (or expires); should it have lost the last moments,
  // the final copy replaces the live one anyway.
  return generation_done(end.upstream_status) ? end_verdict::complete : end_verdict::retry;
}

}  // namespace serenade::live
