#include "lifecycle/admission_desk.hpp"

#include "core/backoff.hpp"
#include "core/blocking_pool.hpp"
#include "core/log.hpp"
#include "store/submission_store.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>

namespace serenade::lifecycle {

namespace asio = boost::asio;

namespace {

store::limit_settings settings_of(const guard_limits& l) {
  return {.submit_burst = l.submit_burst,
          .submits_per_hour = l.submits_per_hour,
          .max_generating = l.max_generating,
          .client_daily = l.client_daily,
          .network_daily = l.network_daily,
          .daily_budget = l.daily_budget};
}

refusal::guard guard_of(store::limit_refused by) {
  switch (by) {
    case store::limit_refused::client_rate: return refusal::guard::client_rate;
    case store::limit_refused::generating_cap: return refusal::guard::generating_cap;
    case store::limit_refused::client_daily: return refusal::guard::client_daily;
    case store::limit_refused::network_daily: return refusal::guard::network_daily;
    case store::limit_refused::daily_budget: break;
  }
  return refusal::guard::daily_budget;
}

store::limit_spend spend_of(const admission& a) {
  return {.reservation = a.session_id, .client = a.client, .network = a.network, .utc_day = a.budget_spend.utc_day};
}

}  // namespace

admission_desk::admission_desk(submission_guards& guards, store::submission_store& store, core::blocking_pool& pool,
                               const guard_limits& limits)
    : guards_(guards), shared_(store.limits()), pool_(pool), settings_(settings_of(limits)) {}

asio::awaitable<admission> admission_desk::admit(const std::string& session_id, std::string_view client,
                                                 std::string_view network) {
  if (!shared_) {
    auto admitted = guards_.admit(client, network);
    admitted.session_id = session_id;
    co_return admitted;
  }
  admission admitted;
  admitted.session_id = session_id;
  admitted.client = std::string(client);
  admitted.network = std::string(network);
  const auto spend = spend_of(admitted);
  const auto decided = co_await pool_.run([&] { return shared_->admit(spend, settings_, reservation); });
  if (decided.refused) {
    admitted.refused = refusal{guard_of(*decided.refused), decided.retry_after};
    co_return admitted;
  }
  admitted.budget_spend.utc_day = decided.utc_day;
  guards_.generation_resumed();  // this process's count: the slot is held here
  co_return admitted;
}

asio::awaitable<void> admission_desk::not_created(const admission& admitted, bool may_exist_upstream) {
  if (!shared_) {
    guards_.upstream_refused(admitted, may_exist_upstream);
    co_return;
  }
  if (!admitted) co_return;
  guards_.generation_ended();
  const auto spend = spend_of(admitted);
  try {
    co_await pool_.run([&] { shared_->give_back(spend, settings_, may_exist_upstream); });
  } catch (const store::store_error& e) {
    // What stays spent is the safe side: the reservation ends by itself, the token and the day's spend stay taken.
    SERENADE_LOG(warn, "limits_not_given_back", "session", admitted.session_id, "error", e.what());
  }
}

asio::awaitable<submission_result> admission_desk::create_holding_key(const std::string& client_key,
                                                                      const std::string& key, find_earlier find,
                                                                      create_once create) {
  if (!shared_) co_return co_await create();
  asio::steady_timer pause(co_await asio::this_coro::executor);
  constexpr core::backoff between_looks{std::chrono::milliseconds(50), std::chrono::milliseconds(500)};
  for (int look = 0;; ++look) {
    const bool held = co_await pool_.run([&] { return shared_->claim_idempotency_key(client_key, key, key_hold); });
    // Looked for after the claim as well: the holder before may have stored its song and let go just now.
    auto earlier = co_await find();
    if (earlier || !held) {
      if (earlier) {
        if (held) co_await pool_.run([&] { shared_->release_idempotency_key(client_key, key); });
        co_return submission_result::repeat(std::move(earlier));
      }
      // Another instance creates under this key: its song answers once stored, or the key comes free.
      pause.expires_after(between_looks.delay(look));
      co_await pause.async_wait(asio::use_awaitable);
      continue;
    }
    std::exception_ptr failure;
    std::optional<submission_result> result;
    try {
      result = co_await create();
    } catch (...) {
      failure = std::current_exception();
    }
    try {
      co_await pool_.run([&] { shared_->release_idempotency_key(client_key, key); });
    } catch (const store::store_error& e) {
      // The hold runs out by itself; a repeat meanwhile finds the stored song.
      SERENADE_LOG(warn, "idempotency_key_not_released", "error", e.what());
    }
    if (failure) std::rethrow_exception(failure);
    co_return std::move(*result);
  }
}

}  // namespace serenade::lifecycle
