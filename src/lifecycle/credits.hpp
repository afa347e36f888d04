#pragma once
// Sonauto's credit balance, as Serenade last saw it: checked at start-up and every few minutes
// (GET /v1/credits/balance), lowered by each generation created in between, and set to nothing left by a 402. New
// songs are refused with an honest 503 once it cannot pay for one, before Sonauto would answer 402, and the log
// warns while it runs low.
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace serenade::sonauto {
class client;
}

namespace serenade::lifecycle {

class credit_gauge {
 public:
  static constexpr std::int64_t song_cost = 100;  // credits per generation, as Sonauto documents it

  // The balance Sonauto reported.
  void seen(std::int64_t credits) { balance_.store(credits, std::memory_order_relaxed); }
  // Nothing until the first check answers.
  std::optional<std::int64_t> balance() const;
  // An unknown balance counts as enough: Sonauto's own 402 still stops a create.
  bool affords_a_song() const;
  // A generation was created: its cost leaves the balance until the next check.
  void spent();
  // Sonauto answered 402: nothing is left until a check says otherwise.
  void exhausted() { balance_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> balance_{-1};  // -1: not known yet
};

// Checks the balance every `period` (first at once) until cancelled; logs credits_low (warn) while it is below
// `warn_below`. A failed check keeps the last balance.
boost::asio::awaitable<void> watch_credits(sonauto::client& client, credit_gauge& gauge, std::chrono::seconds period,
                                           std::int64_t warn_below);

}  // namespace serenade::lifecycle
