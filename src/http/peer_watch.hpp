#pragma once
// The one way a coroutine notices a departed client during a long response (an events stream, a simulated
// stream): the exchange's peer watch (a pending read with a callback) cancels the work when the client leaves.
//   if (!co_await http::until_peer_leaves(ex, follow(...))) ex.abort();
// Handlers that only wait for wake-ups (the live listener) register exchange::watch_peer themselves instead.
#include <boost/asio/awaitable.hpp>

namespace serenade::http {

class exchange;

// Runs `work` until it ends or the client leaves, whichever comes first; the second cancels `work` (terminal
// cancellation: its next wait throws operation_aborted and it unwinds). True when `work` ran to its end, false
// when the client left. Any other exception from `work` propagates. The watch is stopped before returning; the
// server then settles its pending read before reusing the connection.
boost::asio::awaitable<bool> until_peer_leaves(exchange& ex, boost::asio::awaitable<void> work);

}  // namespace serenade::http
