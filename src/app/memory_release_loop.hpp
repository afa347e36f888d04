#pragma once
// After a crowd of listeners has left, the memory it used goes back to the system (core/memory_release.hpp).
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace serenade::http {
class server;
}
namespace serenade::core {
class blocking_pool;
}

namespace serenade::app {

// Every `period`: when the server's open connections have fallen `min_drop` below their peak since the last
// release, free heap pages are handed back on `pool` (the release locks the allocator's arenas one by one),
// one log line says how much, and `releases` counts it. Runs until cancelled.
boost::asio::awaitable<void> release_memory_after_crowds(http::server& server, core::blocking_pool& pool,
                                                         std::chrono::milliseconds period, std::size_t min_drop,
                                                         std::atomic<std::uint64_t>& releases);

}  // namespace serenade::app
