#pragma once
// What a submit or a retry came to, in the lifecycle's words; api/http_answers turns it into HTTP.
#include "store/submission.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace serenade::lifecycle {

enum class refusal_reason : std::uint8_t {
  not_found,                // no such session
  taken_back,               // its maker deleted it: a tombstone
  not_failed,               // a retry of a song that has not failed
  already_retried,          // a retry raced another retry of the same song
  client_rate_limited,      // this client submitted too often (retry_after)
  too_many_generating,      // too many songs generating at once (retry_after)
  daily_budget_spent,       // today's generations are spent (retry_after: until UTC midnight)
  range_share_spent,        // this client's or network's share of today's generations is spent (same)
  upstream_refused,         // Sonauto found the request invalid (its own words are only logged)
  upstream_misconfigured,   // Sonauto refused our key
  upstream_out_of_credits,  // Sonauto's account has no credits left
  upstream_busy,            // Sonauto asked us to slow down
  upstream_timeout,         // Sonauto did not answer in time
  upstream_unavailable,     // Sonauto could not be reached or answered with an error
};

struct submission_refusal {
  refusal_reason reason;
  std::chrono::seconds retry_after{0};  // set for the guards' refusals: when asking again may succeed
};

struct submission_result {
  std::optional<store::submission> accepted;  // the song, when not refused
  bool repeated = false;                      // an earlier submit with the same Idempotency-Key: nothing new started
  std::optional<submission_refusal> refused;

  static submission_result created(store::submission s) { return {std::move(s), false, std::nullopt}; }
  static submission_result repeat(std::optional<store::submission> s) { return {std::move(s), true, std::nullopt}; }
  static submission_result refusal(submission_refusal r) { return {std::nullopt, false, std::move(r)}; }
  static submission_result refusal(refusal_reason reason) { return refusal(submission_refusal{reason, {}}); }
};

}  // namespace serenade::lifecycle
