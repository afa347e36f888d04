#include "lifecycle/credits.hpp"

#include "core/log.hpp"
#include "sonauto/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace serenade::lifecycle {

namespace asio = boost::asio;

std::optional<std::int64_t> credit_gauge::balance() const {
  const auto known = balance_.load(std::memory_order_relaxed);
  if (known < 0) return std::nullopt;
  return known;
}

bool credit_gauge::affords_a_song() const {
  const auto known = balance_.load(std::memory_order_relaxed);
  return known < 0 || known >= song_cost;
}

void credit_gauge::spent() {
  auto known = balance_.load(std::memory_order_relaxed);
  while (known >= 0 &&
         !balance_.compare_exchange_weak(known, std::max<std::int64_t>(0, known - song_cost), std::memory_order_relaxed)) {
  }
}

asio::awaitable<void> watch_credits(sonauto::client& client, credit_gauge& gauge, std::chrono::seconds period,
                                    std::int64_t warn_below) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    auto checked = co_await client.credits();
    if (checked) {
      const auto total = checked.value().total();
      gauge.seen(total);
      if (total < warn_below) {
        SERENADE_LOG(warn, "credits_low", "credits", total, "songs_left", total / credit_gauge::song_cost);
      } else {
        SERENADE_LOG(debug, "credits_checked", "credits", total);
      }
    } else {
      SERENADE_LOG(warn, "credits_check_failed", "error", checked.error().describe());
    }
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

}  // namespace serenade::lifecycle
