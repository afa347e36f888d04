#pragma once
// What the hub makes of a stream connection that ended without Sonauto's final chunk, or of a reconnect that
// Sonauto refused, given what its status endpoint says at that moment. Sonauto does not document how a stream
// ends (final chunk, plain close, or expiry a few seconds after SUCCESS, possibly mid-read) nor whether the
// stream agrees at once when the status says it is ready, so the hub asks the status instead of guessing.
// Pure, so every case is tested without I/O.
#include "sonauto/task_status.hpp"

#include <optional>

namespace serenade::live {

enum class end_verdict {
  complete,  // the song has been generated and the stream has nothing more to give: keep what was captured
  retry,     // reconnect (with backoff; the hub bounds the attempts)
  abandon,   // nothing more will come and the capture is not a song
};

struct connection_end {
  bool refused = false;             // the reconnect was answered with an error status (else: the body was cut)
  unsigned refusal_status = 0;      // that status, when refused
  bool captured_any = false;        // the capture holds bytes
  bool within_ready_grace = false;  // the capture started recently enough to wait for the stream to agree
  std::optional<sonauto::task_status> upstream_status;  // the status endpoint's answer, if it gave one
};

end_verdict judge_connection_end(const connection_end& end);

}  // namespace serenade::live
