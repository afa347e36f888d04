#include "lifecycle/guards.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <iterator>

namespace serenade::lifecycle {

namespace {

using std::chrono::seconds;

steady_source or_steady_now(steady_source clock) {
  if (clock) return clock;
  return [] { return std::chrono::steady_clock::now(); };
}

system_source or_system_now(system_source clock) {
  if (clock) return clock;
  return [] { return std::chrono::system_clock::now(); };
}

// A refusal always asks for at least one second: "Retry-After: 0" would invite an immediate retry.
seconds at_least_one_second(double wait_s) {
  return seconds{std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait_s)))};
}

decision refused_for(seconds wait) { return decision{false, std::max(wait, seconds{1}), 0}; }

}  // namespace

// ----------------------------------------------------------------------------------------------------------------
// token_bucket_limiter

token_bucket_limiter::token_bucket_limiter(unsigned capacity, unsigned refill_per_hour, steady_source clock,
                                           std::size_t max_clients)
    : capacity_(refill_per_hour == 0 ? 0.0 : capacity),
      per_second_(capacity == 0 ? 0.0 : refill_per_hour / 3600.0),
      clock_(or_steady_now(std::move(clock))),
      max_clients_(std::max<std::size_t>(1, max_clients)),
      overflow_{capacity_, clock_()} {}

void token_bucket_limiter::refill(bucket& b, std::chrono::steady_clock::time_point now) const {
  if (now <= b.updated) return;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(capacity_, b.tokens + elapsed * per_second_);
  b.updated = now;
}

void token_bucket_limiter::prune(std::chrono::steady_clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= capacity_ ? buckets_.erase(it) : std::next(it);
  }
  calls_since_prune_ = 0;
}

token_bucket_limiter::bucket& token_bucket_limiter::bucket_for(std::string_view client,
                                                                std::chrono::steady_clock::time_point now) {
  if (++calls_since_prune_ >= prune_every) prune(now);
  if (auto found = buckets_.find(std::string(client)); found != buckets_.end()) return found->second;
  // Past the bound, new clients share one bucket rather than growing the map: under a flood of fresh addresses
  // they are limited together, and the daily budget still caps what the flood can cost.
  if (buckets_.size() >= max_clients_) return overflow_;
  return buckets_.emplace(std::string(client), bucket{capacity_, now}).first->second;
}

decision token_bucket_limiter::try_take(std::string_view client) {
  if (capacity_ == 0) return {};
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  bucket& b = bucket_for(client, now);
  refill(b, now);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {};
  }
  return decision{false, at_least_one_second((1.0 - b.tokens) / per_second_), 0};
}

void token_bucket_limiter::give_back(std::string_view client) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mutex_);
  auto found = buckets_.find(std::string(client));
  // A pruned bucket was full already; a client without a bucket while the map is full drew from the overflow.
  bucket* b = found != buckets_.end() ? &found->second : buckets_.size() >= max_clients_ ? &overflow_ : nullptr;
  if (b) b->tokens = std::min(capacity_, b->tokens + 1.0);
}

std::size_t token_bucket_limiter::clients_for_test() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

// ----------------------------------------------------------------------------------------------------------------
// daily_budget

daily_budget::daily_budget(unsigned max_per_utc_day, system_source clock)
    : max_(max_per_utc_day), clock_(or_system_now(std::move(clock))), day_(today(clock_())) {}

// system_clock counts Unix time, which is UTC without leap seconds, so whole days since the epoch are UTC days.
std::int64_t daily_budget::today(std::chrono::system_clock::time_point now) const {
  return std::chrono::floor<std::chrono::days>(now).time_since_epoch().count();
}

void daily_budget::roll_over(std::int64_t day) {
  if (day > day_) {
    day_ = day;
    spent_ = 0;
  }
}

decision daily_budget::try_spend() {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  roll_over(today(now));
  if (max_ != 0 && spent_ >= max_) {
    const auto next_midnight = std::chrono::floor<std::chrono::days>(now) + std::chrono::days{1};
    return refused_for(std::chrono::ceil<seconds>(next_midnight - now));
  }
  ++spent_;
  return decision{true, seconds{0}, day_};
}

void daily_budget::refund(const decision& spent) {
  if (!spent.allowed) return;
  std::lock_guard lock(mutex_);
  roll_over(today(clock_()));
  if (spent.utc_day == day_ && spent_ > 0) --spent_;
}

void daily_budget::restore(std::uint64_t spent_today) {
  std::lock_guard lock(mutex_);
  roll_over(today(clock_()));
  spent_ = std::max(spent_, spent_today);
}

std::uint64_t daily_budget::spent_today() {
  std::lock_guard lock(mutex_);
  roll_over(today(clock_()));
  return spent_;
}

std::chrono::system_clock::time_point daily_budget::start_of_today() const {
  return std::chrono::floor<std::chrono::days>(clock_());
}

// ----------------------------------------------------------------------------------------------------------------
// daily_shares

daily_shares::daily_shares(unsigned per_range_per_day, system_source clock)
    : max_(per_range_per_day),
      clock_(or_system_now(std::move(clock))),
      day_(std::chrono::floor<std::chrono::days>(clock_()).time_since_epoch().count()) {}

void daily_shares::roll_over(std::int64_t day) {
  if (day > day_) {
    day_ = day;
    spent_.clear();
  }
}

decision daily_shares::try_spend(std::string_view range) {
  if (max_ == 0 || range.empty()) return {};
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  roll_over(std::chrono::floor<std::chrono::days>(now).time_since_epoch().count());
  auto& spent = spent_[std::string(range)];
  if (spent >= max_) {
    const auto next_midnight = std::chrono::floor<std::chrono::days>(now) + std::chrono::days{1};
    return refused_for(std::chrono::ceil<seconds>(next_midnight - now));
  }
  ++spent;
  return decision{true, seconds{0}, day_};
}

void daily_shares::refund(std::string_view range, const decision& spent) {
  if (max_ == 0 || range.empty() || !spent.allowed) return;
  std::lock_guard lock(mutex_);
  roll_over(std::chrono::floor<std::chrono::days>(clock_()).time_since_epoch().count());
  if (spent.utc_day != day_) return;
  const auto it = spent_.find(std::string(range));
  if (it != spent_.end() && it->second > 0) --it->second;
}

// ----------------------------------------------------------------------------------------------------------------
// concurrency_cap

concurrency_cap::concurrency_cap(unsigned max_generating, seconds retry_after)
    : max_(max_generating), retry_after_(std::max(retry_after, seconds{1})) {}

decision concurrency_cap::try_acquire() {
  std::lock_guard lock(mutex_);
  if (max_ != 0 && generating_ >= max_) return refused_for(retry_after_);
  ++generating_;
  return {};
}

void concurrency_cap::adopt() {
  std::lock_guard lock(mutex_);
  ++generating_;
}

void concurrency_cap::release() {
  std::lock_guard lock(mutex_);
  assert(generating_ > 0 && "concurrency_cap released more often than acquired");
  if (generating_ > 0) --generating_;
}

std::uint64_t concurrency_cap::generating() const {
  std::lock_guard lock(mutex_);
  return generating_;
}

const char* name(refusal::guard g) {
  switch (g) {
    case refusal::guard::client_rate: return "client_rate";
    case refusal::guard::generating_cap: return "generating_cap";
    case refusal::guard::daily_budget: return "daily_budget";
    case refusal::guard::client_daily: return "client_daily";
    case refusal::guard::network_daily: return "network_daily";
  }
  return "unknown";
}

// ----------------------------------------------------------------------------------------------------------------
// submission_guards

submission_guards::submission_guards(guard_limits limits, steady_source steady, system_source system)
    : clients_(limits.submit_burst, limits.submits_per_hour, std::move(steady)),
      generating_(limits.max_generating),
      client_shares_(limits.client_daily, system),
      network_shares_(limits.network_daily, system),
      budget_(limits.daily_budget, std::move(system)) {}

admission submission_guards::admit(std::string_view client, std::string_view network) {
  admission out;
  out.client = std::string(client);
  out.network = std::string(network);
  const auto token = clients_.try_take(client);
  if (!token) {
    out.refused = refusal{refusal::guard::client_rate, token.retry_after};
    return out;
  }
  const auto slot = generating_.try_acquire();
  if (!slot) {
    clients_.give_back(client);
    out.refused = refusal{refusal::guard::generating_cap, slot.retry_after};
    return out;
  }
  out.client_spend = client_shares_.try_spend(client);
  if (!out.client_spend) {
    generating_.release();
    clients_.give_back(client);
    out.refused = refusal{refusal::guard::client_daily, out.client_spend.retry_after};
    return out;
  }
  out.network_spend = network_shares_.try_spend(network);
  if (!out.network_spend) {
    client_shares_.refund(client, out.client_spend);
    generating_.release();
    clients_.give_back(client);
    out.refused = refusal{refusal::guard::network_daily, out.network_spend.retry_after};
    return out;
  }
  out.budget_spend = budget_.try_spend();
  if (!out.budget_spend) {
    network_shares_.refund(network, out.network_spend);
    client_shares_.refund(client, out.client_spend);
    generating_.release();
    clients_.give_back(client);
    out.refused = refusal{refusal::guard::daily_budget, out.budget_spend.retry_after};
  }
  return out;
}

void submission_guards::upstream_refused(const admission& admitted, bool may_exist_upstream) {
  if (!admitted) return;
  generating_.release();
  if (may_exist_upstream) return;
  budget_.refund(admitted.budget_spend);
  network_shares_.refund(admitted.network, admitted.network_spend);
  client_shares_.refund(admitted.client, admitted.client_spend);
  clients_.give_back(admitted.client);
}

void submission_guards::generation_ended() { generating_.release(); }

void submission_guards::generation_resumed() { generating_.adopt(); }

}  // namespace serenade::lifecycle
