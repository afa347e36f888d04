#pragma once
// Which songs this instance does the background work of (following, capture, finalisation) when several share one
// database: a lease per song (store::submission_store::claim) on the database's clock. The instance renews all its
// leases in one statement every third of the lease, and every third of the lease looks for songs whose lease ran
// out (an instance died) and takes them over. An instance that could not renew for two thirds of the lease stops
// counting as the holder (holding() turns false) before any other instance may claim its songs.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace serenade::core {
class blocking_pool;
}
namespace serenade::store {
class submission_store;
struct submission;
}

namespace serenade::lifecycle {

class ownership {
 public:
  using clock = std::chrono::steady_clock;
  // `take_over` is called with each song this instance has just claimed from nobody or from an expired lease.
  ownership(store::submission_store& store, core::blocking_pool& pool, std::chrono::milliseconds lease,
            std::function<void(const store::submission&)> take_over);

  // This run's id: random, drawn at start, so a restarted instance takes its old songs over like anyone's.
  const std::string& instance() const { return instance_; }
  std::chrono::milliseconds lease() const { return lease_; }

  boost::asio::awaitable<bool> claim(const std::string& session_id);
  boost::asio::awaitable<void> release(const std::string& session_id);
  // Renews and takes over until cancelled (shutdown).
  boost::asio::awaitable<void> run();
  // False once the leases could not be renewed for two thirds of their length: the work must stop.
  bool holding() const;

 private:
  boost::asio::awaitable<void> renew();
  boost::asio::awaitable<void> take_over_unowned();

  store::submission_store& store_;
  core::blocking_pool& pool_;
  std::chrono::milliseconds lease_;
  std::function<void(const store::submission&)> take_over_;
  std::string instance_;
  std::atomic<clock::rep> renewed_at_;  // steady clock ticks of the last successful renewal
};

}  // namespace serenade::lifecycle
