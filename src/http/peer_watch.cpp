#include "http/peer_watch.hpp"

#include "http/exchange.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace serenade::http {

namespace asio = boost::asio;

asio::awaitable<bool> until_peer_leaves(exchange& ex, asio::awaitable<void> work) {
  // Shared: the watch's callback may be the last to touch it, after this frame has moved on.
  auto cancel = std::make_shared<asio::cancellation_signal>();
  bool left = false;
  ex.watch_peer([cancel, &left] {
    left = true;
    cancel->emit(asio::cancellation_type::terminal);
  });
  auto [failure] = co_await asio::co_spawn(co_await asio::this_coro::executor, std::move(work),
                                           asio::bind_cancellation_slot(cancel->slot(),
                                                                        asio::as_tuple(asio::use_awaitable)));
  ex.stop_watching_peer();
  if (left) co_return false;
  if (failure) std::rethrow_exception(failure);
  co_return true;
}

}  // namespace serenade::http
