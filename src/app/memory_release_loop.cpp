#include "app/memory_release_loop.hpp"

#include "core/blocking_pool.hpp"
#include "core/log.hpp"
#include "core/memory_release.hpp"
#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace serenade::app {

namespace asio = boost::asio;

asio::awaitable<void> release_memory_after_crowds(http::server& server, core::blocking_pool& pool,
                                                  std::chrono::milliseconds period, std::size_t min_drop,
                                                  std::atomic<std::uint64_t>& releases) {
  core::crowd_ebb ebb(min_drop);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    const auto peak = server.take_connection_peak();
    const auto connections = server.active_connections();
    if (!ebb.observe(connections, peak)) continue;
    const auto before = core::resident_bytes();
    co_await pool.run([&] { core::release_free_memory(); });
    const auto after = core::resident_bytes();
    ++releases;
    SERENADE_LOG(info, "memory_released", "connections", connections, "rss_before_kib", before / 1024,
                 "rss_after_kib", after / 1024);
  }
}

}  // namespace serenade::app
