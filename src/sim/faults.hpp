#pragma once
// The fault switches a simulated Sonauto can be told to misbehave with: per task (every task starts with the
// `serenade simulate` flags, POST /_sim/control changes one task's) and for the create endpoint. What each switch
// does, and how it is set, is in its row of fault_table.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace serenade::sim {

// How a task's webhooks go out (only for tasks created with a webhook_url): each status change POSTs
// {"task_id", "status", "alignment_status": null} to it, starting with RECEIVED at creation.
//   none        nothing is ever sent
//   normal      one POST per change, as soon as it happens
//   duplicated  each POST sent twice in a row
//   reordered   each change's POST held back and sent right after the next one's (pairs swapped); one
//               still held when no further change is due (SUCCESS, FAILURE, never ready) goes out then
//   delayed     each POST sent webhook_delay seconds after its change
enum class webhook_mode { none, normal, duplicated, reordered, delayed };

inline constexpr webhook_mode all_webhook_modes[] = {webhook_mode::none, webhook_mode::normal,
                                                     webhook_mode::duplicated, webhook_mode::reordered,
                                                     webhook_mode::delayed};

std::string_view webhook_mode_name(webhook_mode mode);
std::optional<webhook_mode> parse_webhook_mode(std::string_view name);

// A status a switch may answer with: 0 (off) or 400-599.
bool valid_refusal(std::uint64_t status);

struct task_faults {
  std::optional<std::string> fail_at;
  double stall_stream_answer = 0;
  std::optional<std::uint64_t> drop_after_bytes;
  bool drop_every_time = false;
  double stall_seconds = 0;
  std::uint64_t stall_at_bytes = 0;
  unsigned refuse_cdn = 0;
  bool corrupt_cdn = false;
  bool truncate_cdn = false;
  bool expire_immediately = false;
  double delete_cdn_after = 168 * 3600.0;  // Sonauto deletes its CDN copies after a week
  bool never_ready = false;
  webhook_mode webhooks = webhook_mode::normal;
  double webhook_delay = 2;
};

struct create_faults {
  unsigned refuse_create = 0;
  std::uint64_t refuse_create_times = 0;
  bool reuse_task_id = false;
};

}  // namespace serenade::sim
