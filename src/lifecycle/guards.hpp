#pragma once
// Guards in front of a paid generation: every accepted submission costs real money upstream, so before one is
// created, the person's client must have a token left, fewer than max songs may be generating, and today's
// budget must not be spent. Each refusal says which guard refused and when asking again may succeed.
//
// Pure logic: no I/O, thread-safe (each guard has its own mutex), time from injectable clocks so tests use
// fake time. A limit of 0 disables that guard.
//
// A generation's life through the guards (submission_guards):
//   admit            → token taken, generating slot taken, budget spent   (or a refusal; then nothing is held)
//   upstream_refused → token, slot and budget given back                  (Sonauto did not create it: no cost;
//                      only the slot when the answer was lost and it may exist)
//   generation_ended → slot given back                                    (the song succeeded, failed or was lost)
//   generation_resumed → slot taken regardless of the cap                 (a restart follows an unfinished song)
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace serenade::lifecycle {

using steady_source = std::function<std::chrono::steady_clock::time_point()>;
using system_source = std::function<std::chrono::system_clock::time_point()>;

// One guard's answer. retry_after is meaningful only when refused (at least 1 s then).
struct decision {
  bool allowed = true;
  std::chrono::seconds retry_after{0};
  std::int64_t utc_day = 0;  // daily_budget only: the day the spend counted against, for refund()

  explicit operator bool() const { return allowed; }
};

// Per-client token bucket: `capacity` submissions at once, refilled at `refill_per_hour`. Either 0 disables it.
// Memory is bounded: buckets that have refilled completely are forgotten (one is the same as none), checked every
// prune_every calls; once max_clients buckets exist, clients without one share a single overflow bucket.
class token_bucket_limiter {
 public:
  static constexpr std::size_t default_max_clients = 100'000;
  static constexpr std::size_t prune_every = 1024;

  token_bucket_limiter(unsigned capacity, unsigned refill_per_hour, steady_source clock = {},
                       std::size_t max_clients = default_max_clients);

  decision try_take(std::string_view client);
  // Gives back the token a try_take took when nothing was generated after all (never above capacity).
  void give_back(std::string_view client);

  std::size_t clients_for_test() const;

 private:
  struct bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  void refill(bucket& b, std::chrono::steady_clock::time_point now) const;
  void prune(std::chrono::steady_clock::time_point now);
  bucket& bucket_for(std::string_view client, std::chrono::steady_clock::time_point now);

  const double capacity_;
  const double per_second_;
  const steady_source clock_;
  const std::size_t max_clients_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;
  bucket overflow_;
  std::size_t calls_since_prune_ = 0;
};

// Generations started per UTC day (day boundaries from the system clock). 0 disables it.
class daily_budget {
 public:
  explicit daily_budget(unsigned max_per_utc_day, system_source clock = {});

  // Refused with retry_after = seconds until the next UTC midnight.
  decision try_spend();
  // Gives back a spend whose generation the upstream refused. A spend from an earlier day is not given back:
  // that day's count is gone already.
  void refund(const decision& spent);
  // After a restart: counts generations already started today (from the store), so a restart is no new budget.
  void restore(std::uint64_t spent_today);

  std::uint64_t spent_today();
  // The UTC midnight at which the current day began, for counting what the store already holds.
  std::chrono::system_clock::time_point start_of_today() const;

 private:
  std::int64_t today(std::chrono::system_clock::time_point now) const;
  void roll_over(std::int64_t day);

  const std::uint64_t max_;
  const system_source clock_;
  std::mutex mutex_;
  std::int64_t day_ = 0;
  std::uint64_t spent_ = 0;
};

// Generations one address range may start per UTC day, so that the daily budget keeps a reserve no single
// client (an IPv4 address, an IPv6 /64) or network (an IPv4 /24, an IPv6 /48) can spend: rotating addresses
// inside a range gains nothing. 0 disables it. Only today's ranges are kept, and a restart forgets them (the
// daily budget itself is restored from the store).
class daily_shares {
 public:
  explicit daily_shares(unsigned per_range_per_day, system_source clock = {});

  // Refused with retry_after = seconds until the next UTC midnight. An empty range is never refused.
  decision try_spend(std::string_view range);
  void refund(std::string_view range, const decision& spent);

 private:
  void roll_over(std::int64_t day);

  const std::uint64_t max_;
  const system_source clock_;
  std::mutex mutex_;
  std::int64_t day_ = 0;
  std::unordered_map<std::string, std::uint64_t> spent_;
};

// Songs generating at once. 0 disables the cap (the count is still kept, for /metrics).
class concurrency_cap {
 public:
  static constexpr std::chrono::seconds default_retry_after{30};

  explicit concurrency_cap(unsigned max_generating, std::chrono::seconds retry_after = default_retry_after);

  decision try_acquire();
  // Takes a slot even beyond the cap: for generations that already run (resumed after a restart).
  void adopt();
  void release();
  std::uint64_t generating() const;

 private:
  const std::uint64_t max_;
  const std::chrono::seconds retry_after_;
  mutable std::mutex mutex_;
  std::uint64_t generating_ = 0;
};

struct guard_limits {
  unsigned submit_burst = 5;
  unsigned submits_per_hour = 10;
  unsigned daily_budget = 500;
  unsigned max_generating = 50;
  unsigned client_daily = 20;   // per client (IPv4 address, IPv6 /64) and UTC day
  unsigned network_daily = 50;  // per network (IPv4 /24, IPv6 /48) and UTC day
};

// Why a submission was refused, and when asking again may succeed.
struct refusal {
  enum class guard { client_rate, generating_cap, daily_budget, client_daily, network_daily };
  guard by;
  std::chrono::seconds retry_after;
};
const char* name(refusal::guard g);  // "client_rate", "generating_cap", ...: for logs and /metrics

// What admit() took, to give back if the upstream refuses.
struct admission {
  std::optional<refusal> refused;  // set: nothing is held
  std::string session_id;          // the song the generating slot is for
  std::string client;
  std::string network;
  decision client_spend;
  decision network_spend;
  decision budget_spend;

  explicit operator bool() const { return !refused; }
};

// The guards in the order the create path checks them: client bucket → generating cap → the client's and the
// network's daily shares → daily budget. A later refusal gives back what the earlier guards took, so a refused
// request holds nothing. `client` and `network` are address ranges (http::client_group, http::network_group).
class submission_guards {
 public:
  explicit submission_guards(guard_limits limits, steady_source steady = {}, system_source system = {});

  admission admit(std::string_view client, std::string_view network = {});
  // The create failed. may_exist_upstream: the request was sent and the answer lost (a timeout or a cut
  // connection after sending), so the generation may exist and cost money: the day's budget and the client's token
  // stay spent; only the generating slot is given back (nothing will be followed).
  void upstream_refused(const admission& admitted, bool may_exist_upstream = false);
  void generation_ended();
  void generation_resumed();

  token_bucket_limiter& clients() { return clients_; }
  concurrency_cap& generating() { return generating_; }
  daily_budget& budget() { return budget_; }

 private:
  token_bucket_limiter clients_;
  concurrency_cap generating_;
  daily_shares client_shares_;
  daily_shares network_shares_;
  daily_budget budget_;
};

// The generating slot of a generation Sonauto created, while it is being recorded: given back when this goes,
// on whatever way out (a refusal, an exception), unless a follower took it over.
class held_generating_slot {
 public:
  explicit held_generating_slot(submission_guards& guards) : guards_(&guards) {}
  ~held_generating_slot() {
    if (guards_) guards_->generation_ended();
  }
  held_generating_slot(const held_generating_slot&) = delete;
  held_generating_slot& operator=(const held_generating_slot&) = delete;
  // The follower now holds it and gives it back when the song ends.
  void hand_over() { guards_ = nullptr; }

 private:
  submission_guards* guards_;
};

}  // namespace serenade::lifecycle
