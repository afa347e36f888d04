#pragma once
// The guards in front of a paid generation, kept in a database several instances share, so that a limit holds
// whichever instance a request reaches (lifecycle/guards.hpp keeps the same limits in one process's memory).
// Every check runs in one transaction under one lock, in the order the in-process guards use; a refusal takes
// nothing. Times are the database's clock. Like every store call: blocking, from core/blocking_pool threads only.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace serenade::store {

struct limit_settings {
  unsigned submit_burst = 0;      // per client; with submits_per_hour, a token bucket (either 0: off)
  unsigned submits_per_hour = 0;
  unsigned max_generating = 0;    // songs whose generation has not ended, over every instance (0: off)
  unsigned client_daily = 0;      // per client range and UTC day (0: off)
  unsigned network_daily = 0;     // per network range and UTC day (0: off)
  unsigned daily_budget = 0;      // generations started per UTC day, over every instance (0: off)
};

// Which limit refused, in the order they are checked.
enum class limit_refused { client_rate, generating_cap, client_daily, network_daily, daily_budget };

struct limit_decision {
  std::optional<limit_refused> refused;  // set: nothing was taken
  std::chrono::seconds retry_after{0};   // when refused: at least 1 s
  std::int64_t utc_day = 0;              // when admitted: the day its spends counted against, for give_back()
};

// What an admission took, to give back when Sonauto created nothing.
struct limit_spend {
  std::string reservation;  // the session the generating slot was reserved for
  std::string client;
  std::string network;
  std::int64_t utc_day = 0;
};

class shared_limits {
 public:
  virtual ~shared_limits() = default;

  // Takes a client token, a generating slot reserved for `who.reservation` (until insert() stores that session or
  // restart_generation() restarts it, so its row holds the slot, or `reservation` runs out), the client's and network's daily shares and a spend of the
  // daily budget; or refuses, taking nothing. Empty client or network ranges are not limited.
  virtual limit_decision admit(const limit_spend& who, const limit_settings& limits,
                               std::chrono::milliseconds reservation) = 0;
  // Sonauto created nothing: the reservation ends and, unless `may_exist_upstream` (the answer was lost and the
  // generation may be paid for), the token and the day's spends go back (a spend of an earlier day stays).
  virtual void give_back(const limit_spend& spent, const limit_settings& limits, bool may_exist_upstream) = 0;

  // Submits repeating one (client, Idempotency-Key) pair on several instances: one of them creates. True when
  // this caller may create now (nobody holds the key, or the holder's claim ran out); false while another holds it.
  virtual bool claim_idempotency_key(std::string_view client_key, std::string_view idempotency_key,
                                     std::chrono::milliseconds hold) = 0;
  // The creator is done (its row is stored, or nothing was created): the next repeat finds the row or creates.
  virtual void release_idempotency_key(std::string_view client_key, std::string_view idempotency_key) = 0;
};

}  // namespace serenade::store
