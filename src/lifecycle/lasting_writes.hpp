#pragma once
// A store call from background work (a follower, a finalisation) that a database outage must not lose: while the
// store is unavailable it is tried again every second, until it lands or shutdown cancels the work (which the next
// start resumes). A request's own store calls are not retried: the person gets a 503 and may try again.
#include "core/blocking_pool.hpp"
#include "core/log.hpp"
#include "store/submission_store.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <string_view>
#include <type_traits>

namespace serenade::lifecycle {

// `work` is called on a pool thread, as core::blocking_pool::run calls it; it must outlive the call.
template <class Work>
auto through_outages(core::blocking_pool& pool, Work& work, std::string_view session_id)
    -> boost::asio::awaitable<std::invoke_result_t<Work&>> {
  boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
  for (bool first = true;; first = false) {
    try {
      co_return co_await pool.run(work);
    } catch (const store::store_unavailable& e) {
      if (first) SERENADE_LOG(warn, "store_unavailable", "session", session_id, "error", e.what(), "retry_s", 1);
    }
    pause.expires_after(std::chrono::seconds(1));
    co_await pause.async_wait(boost::asio::use_awaitable);
  }
}

}  // namespace serenade::lifecycle
