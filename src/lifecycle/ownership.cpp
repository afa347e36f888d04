#include "lifecycle/ownership.hpp"

#include "core/blocking_pool.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "lifecycle/lifecycle_options.hpp"
#include "store/submission_store.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace serenade::lifecycle {

namespace asio = boost::asio;

ownership::ownership(store::submission_store& store, core::blocking_pool& pool, std::chrono::milliseconds lease,
                     lifecycle_counters& counters, take_over_function take_over)
    : store_(store),
      pool_(pool),
      lease_(lease),
      counters_(counters),
      take_over_(std::move(take_over)),
      instance_(ids::random_token()),
      renewed_at_(clock::now().time_since_epoch().count()) {}

std::string ownership::instance() const {
  std::lock_guard lock(instance_mutex_);
  return instance_;
}

void ownership::advertise(std::string url) {
  std::lock_guard lock(instance_mutex_);
  url_ = std::move(url);
}

std::string ownership::url() const {
  std::lock_guard lock(instance_mutex_);
  return url_;
}

asio::awaitable<std::optional<std::string>> ownership::relay_for(std::string session_id) {
  std::optional<store::submission> song;
  try {
    song = co_await pool_.run([&] { return store_.find(session_id); });
  } catch (const store::store_unavailable&) {
    co_return std::nullopt;
  }
  if (!song || !song->owner || !song->owner_url || song->owner_url->empty()) co_return std::nullopt;
  // An id of this instance's earlier term still names it by its URL: never relay from itself.
  if (*song->owner == instance() || *song->owner_url == url()) co_return std::nullopt;
  co_return *song->owner_url + "/api/stream/" + session_id;
}

bool ownership::holding() const {
  const auto renewed = clock::time_point(clock::duration(renewed_at_.load()));
  return clock::now() - renewed < lease_ * 2 / 3;
}

bool ownership::term_holds(std::uint64_t term) const { return term == term_.load() && holding(); }

asio::awaitable<std::optional<std::uint64_t>> ownership::claim(const std::string& session_id) {
  const auto term = term_.load();
  const auto owner = instance();
  const auto where = url();
  const auto lease = lease_;
  bool claimed = false;
  try {
    claimed = co_await pool_.run([&] { return store_.claim(session_id, owner, where, lease); });
  } catch (const store::store_unavailable& e) {
    SERENADE_LOG(warn, "lease_not_taken", "session", session_id, "error", e.what());
  }
  if (!claimed) co_return std::nullopt;
  co_return term;
}

void ownership::fence() {
  std::string old;
  {
    std::lock_guard lock(instance_mutex_);
    old = std::exchange(instance_, ids::random_token());
  }
  ++term_;
  ++counters_.lease_terms_lost;
  SERENADE_LOG(warn, "leases_lost", "instance", old, "new_instance", instance());
}

asio::awaitable<void> ownership::renew() {
  if (!holding()) fence();
  const auto owner = instance();
  const auto lease = lease_;
  try {
    const auto started = clock::now();
    co_await pool_.run([&] { return store_.renew_leases(owner, lease); });
    renewed_at_ = started.time_since_epoch().count();
  } catch (const store::store_unavailable& e) {
    SERENADE_LOG(warn, "leases_not_renewed", "instance", owner, "error", e.what());
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
    const auto term = co_await claim(song.session_id);
    if (!term) continue;  // another instance was quicker
    SERENADE_LOG(info, "song_taken_over", "session", song.session_id, "from", song.owner.value_or("nobody"));
    ++counters_.songs_taken_over;
    take_over_(song, *term);
  }
}

asio::awaitable<void> ownership::run() {
  SERENADE_LOG(info, "ownership", "instance", instance(), "lease_ms", lease_.count());
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (;;) {
    co_await renew();
    co_await take_over_unowned();
    pause.expires_after(std::min<std::chrono::milliseconds>(lease_ / 3, std::chrono::seconds(2)));
    co_await pause.async_wait(asio::use_awaitable);
  }
}

void ownership::release_all() {
  try {
    const auto released = store_.release_all(instance());
    SERENADE_LOG(info, "leases_released", "songs", released);
  } catch (const store::store_unavailable& e) {
    SERENADE_LOG(warn, "leases_not_released", "error", e.what());  // they run out by themselves
  }
}

}  // namespace serenade::lifecycle
