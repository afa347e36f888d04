#pragma once
// Which songs this instance does the background work of (following, capture, finalisation) when several share one
// database: a lease per song (store::submission_store::claim) on the database's clock. Every third of the lease, and
// at least every two seconds, the instance renews all its leases in one statement and looks for songs whose lease
// ran out or was given back (an instance died, or stopped) to take them over.
//
// Self-fencing: an instance that could not renew for two thirds of the lease stops counting as the holder before
// any other instance may claim its songs; the work it started under that term ends (term_holds turns false) and
// it draws a new instance id, so its old leases run out and are taken over like anyone's, by it or by another.
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace serenade::core {
class blocking_pool;
}
namespace serenade::store {
class submission_store;
struct submission;
}

namespace serenade::lifecycle {

struct lifecycle_counters;

class ownership {
 public:
  using clock = std::chrono::steady_clock;
  // `take_over` is called with each song this instance has just claimed from nobody or from an expired lease, and
  // the term it was claimed in.
  using take_over_function = std::function<void(const store::submission&, std::uint64_t term)>;
  ownership(store::submission_store& store, core::blocking_pool& pool, std::chrono::milliseconds lease,
            lifecycle_counters& counters, take_over_function take_over);

  // This term's id: random, drawn at start and again after fencing, so a restarted instance takes its old songs
  // over like anyone's.
  std::string instance() const;
  std::chrono::milliseconds lease() const { return lease_; }
  // The base URL other instances reach this one at (http://host:port), recorded with each lease taken from now
  // on, so that they relay its songs from it (relay_for). Empty: unknown, they cannot.
  void advertise(std::string url);
  std::string url() const;
  // Where this instance reads a song's stream as an edge: the owner's /api/stream/{id}, when another instance
  // owns the song and said where it is. Nullopt: from Sonauto (this instance owns the song, nobody does, the
  // owner cannot be reached by URL, or the database cannot tell).
  boost::asio::awaitable<std::optional<std::string>> relay_for(std::string session_id);
  // The term work started now belongs to: pass it to term_holds later.
  std::uint64_t term() const { return term_.load(); }
  // False once the leases of `term` could not be renewed for two thirds of their length, or the term ended: the
  // work started under it must stop.
  bool term_holds(std::uint64_t term) const;

  // Takes the song's lease (a new song, a retried one, a confirmed one): the term it was taken in. Nullopt when
  // another instance holds it, or the database cannot be reached: the song is then taken over by whoever finds its
  // lease expired.
  boost::asio::awaitable<std::optional<std::uint64_t>> claim(const std::string& session_id);
  // Renews and takes over until cancelled (shutdown).
  boost::asio::awaitable<void> run();
  // Gives every lease back, so that other instances take the songs over at once (a blocking call: at exit, once
  // this instance's work has stopped).
  void release_all();

 private:
  boost::asio::awaitable<void> renew();
  boost::asio::awaitable<void> take_over_unowned();
  bool holding() const;
  void fence();

  store::submission_store& store_;
  core::blocking_pool& pool_;
  std::chrono::milliseconds lease_;
  lifecycle_counters& counters_;
  take_over_function take_over_;
  mutable std::mutex instance_mutex_;  // guards instance_ and url_
  std::string instance_;
  std::string url_;
  std::atomic<std::uint64_t> term_{1};
  std::atomic<clock::rep> renewed_at_;  // steady clock ticks of the last successful renewal
};

}  // namespace serenade::lifecycle
