#include "lifecycle/ownership.hpp"

#include "core/blocking_pool.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "store/submission_store.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace serenade::lifecycle {

namespace asio = boost::asio;

ownership::ownership(store::submission_store& store, core::blocking_pool& pool, std::chrono::milliseconds lease,
                     std::function<void(const store::submission&)> take_over)
    : store_(store),
      pool_(pool),
      lease_(lease),
      take_over_(std::move(take_over)),
      instance_(ids::random_token()),
      renewed_at_(clock::now().time_since_epoch().count()) {}

asio::awaitable<bool> ownership::claim(const std::string& session_id) {
  co_return co_await pool_.run([&] { return store_.claim(session_id, instance_, lease_); });
}

asio::awaitable<void> ownership::release(const std::string& session_id) {
  try {
    co_await pool_.run([&] { return store_.release(session_id, instance_); });
  } catch (const store::store_unavailable&) {
    // The lease runs out by itself; another instance then finds the song's work done.
  }
}

bool ownership::holding() const {
  const auto renewed = clock::time_point(clock::duration(renewed_at_.load()));
  return clock::now() - renewed < lease_ * 2 / 3;
}

asio::awaitable<void> ownership::renew() {
  try {
    const auto started = clock::now();
    co_await pool_.run([&] { return store_.renew_leases(instance_, lease_); });
    renewed_at_ = started.time_since_epoch().count();
  } catch (const store::store_unavailable& e) {
    SERENADE_LOG(warn, "leases_not_renewed", "instance", instance_, "error", e.what(), "holding", holding());
  }
}

asio::awaitable<void> ownership::take_over_unowned() {
  std::vector<store::submission> unowned;
  try {
    unowned = co_await pool_.run([&] { return store_.unowned_work(); });
  } catch (const store::store_unavailable&) {
    co_return;
  }
  for (const auto& song : unowned) {
    if (!holding()) co_return;
    const bool claimed = co_await claim(song.session_id);
    if (!claimed) continue;  // another instance was quicker
    SERENADE_LOG(info, "song_taken_over", "session", song.session_id, "instance", instance_, "from",
                 song.owner.value_or("nobody"));
    take_over_(song);
  }
}

asio::awaitable<void> ownership::run() {
  SERENADE_LOG(info, "ownership", "instance", instance_, "lease_ms", lease_.count());
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (;;) {
    co_await renew();
    co_await take_over_unowned();
    pause.expires_after(lease_ / 3);
    co_await pause.async_wait(asio::use_awaitable);
  }
}

}  // namespace serenade::lifecycle
