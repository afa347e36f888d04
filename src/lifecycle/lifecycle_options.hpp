#pragma once
// How the lifecycle is tuned and wired to the rest of the server, and what it counts for /metrics.
#include "lifecycle/credits.hpp"
#include "lifecycle/guards.hpp"
#include "store/submission.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace serenade::lifecycle {

struct lifecycle_options {
  std::chrono::milliseconds poll_interval{1500};                 // while no webhook has arrived for the task
  std::chrono::milliseconds poll_interval_with_webhooks{15000};  // once webhooks arrive: only a fallback
  std::chrono::seconds stall_timeout{600};  // no status change for this long: the song is failed as timed out
  std::string webhook_url;                  // sent with each generation when set
  std::string public_url;  // for webhook URLs (not used yet)
  // Called when a song is seen stream-ready, so its capture starts whether or not anyone listens yet; called
  // again at every poll until it returns true (the capture could start), so a broken archive is retried.
  std::function<bool(const std::string& session_id, const std::string& task_id)> on_stream_ready;
  // Called once when the song's generation succeeded: its final copy is fetched then.
  std::function<void(const std::string& session_id, const std::string& task_id)> on_success;
  // Called before a failed song is generated again: what was kept of the failed attempt must go.
  std::function<void(const std::string& session_id)> on_retry;
  // Called once a song was taken back by its maker (erased): its files and live listeners must go.
  std::function<void(const std::string& session_id)> on_taken_back;
  // Called after every recorded change of a song's state (status events).
  std::function<void(const store::submission& now)> on_change;
  guard_limits guards;
};

struct lifecycle_counters {
  std::atomic<std::uint64_t> refused_client_rate{0};
  std::atomic<std::uint64_t> refused_generating_cap{0};
  std::atomic<std::uint64_t> refused_daily_budget{0};
  std::atomic<std::uint64_t> refused_range_share{0};  // a client's or network's daily share
  std::atomic<std::uint64_t> upstream_out_of_credits{0};
  std::atomic<std::uint64_t> upstream_misconfigured{0};
  std::atomic<std::uint64_t> upstream_answers_unusable{0};  // e.g. a task id another song already has
  std::atomic<std::uint64_t> songs_taken_back{0};
  std::atomic<std::uint64_t> creates_unconfirmed{0};      // answer lost: kept waiting for a webhook to name the task
  std::atomic<std::uint64_t> creates_confirmed{0};        // ... and a webhook did
  std::atomic<std::uint64_t> creates_never_confirmed{0};  // ... and none did in time: the song failed
  std::atomic<std::uint64_t> refused_no_credits{0};  // refused before asking: the balance cannot pay for a song
  // A shared database (lifecycle/ownership.hpp): songs whose lease this instance took over from an instance that
  // died or stopped, and terms it lost by not renewing its leases in time (its work then stopped).
  std::atomic<std::uint64_t> songs_taken_over{0};
  std::atomic<std::uint64_t> lease_terms_lost{0};
  credit_gauge credits;
};

}  // namespace serenade::lifecycle
