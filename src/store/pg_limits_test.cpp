// The limits several instances share: two stores on one PostgreSQL database stand for two instances.
#include "store/pg_store.hpp"
#include "store/testing/postgres_database.hpp"
#include "store/testing/store_rows.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace serenade::store {
namespace {

using namespace std::chrono_literals;
using namespace serenade::store::testing;

constexpr auto reservation = 5min;

class shared_limits_test : public ::testing::Test {
 protected:
  shared_limits_test() : first_(database_.url(), 2), second_(database_.url(), 2) {}

  shared_limits& first() { return first_; }
  shared_limits& second() { return second_; }
  submission_store& rows() { return first_; }

  static limit_spend who(std::string session, std::string client = "198.51.100.7",
                         std::string network = "198.51.100.0/24") {
    return {std::move(session), std::move(client), std::move(network), 0};
  }

 private:
  postgres_database database_;  // outlives the stores, which hold connections to it
  pg_store first_;
  pg_store second_;
};

::testing::AssertionResult refused_by(const limit_decision& d, limit_refused by) {
  if (!d.refused) return ::testing::AssertionFailure() << "admitted";
  if (*d.refused != by) return ::testing::AssertionFailure() << "refused by limit " << static_cast<int>(*d.refused);
  if (d.retry_after < 1s) return ::testing::AssertionFailure() << "retry after " << d.retry_after.count() << " s";
  return ::testing::AssertionSuccess();
}

TEST_F(shared_limits_test, a_clients_burst_is_spent_over_both_instances_and_other_clients_keep_theirs) {
  const limit_settings limits{.submit_burst = 2, .submits_per_hour = 1};
  EXPECT_FALSE(first().admit(who("a"), limits, reservation).refused);
  EXPECT_FALSE(second().admit(who("b"), limits, reservation).refused);
  const auto third = first().admit(who("c"), limits, reservation);
  EXPECT_TRUE(refused_by(third, limit_refused::client_rate));
  EXPECT_GT(third.retry_after, 3000s) << "one token an hour";
  EXPECT_TRUE(refused_by(second().admit(who("c"), limits, reservation), limit_refused::client_rate));
  EXPECT_FALSE(second().admit(who("d", "203.0.113.9", "203.0.113.0/24"), limits, reservation).refused);
}

TEST_F(shared_limits_test, the_generating_cap_counts_reserved_creates_and_stored_songs_once_each) {
  const limit_settings limits{.max_generating = 2};
  const auto a = who("session-a");
  auto admitted = first().admit(a, limits, reservation);
  ASSERT_FALSE(admitted.refused);
  rows().insert(make_submission("session-a", 1000, "task-a"));  // its row now holds the slot, not the reservation
  EXPECT_FALSE(second().admit(who("session-b"), limits, reservation).refused);
  const auto full = first().admit(who("session-c"), limits, reservation);
  EXPECT_TRUE(refused_by(full, limit_refused::generating_cap));

  status_update ended;
  ended.status = "SUCCESS";
  ended.completed_at = at(2000);
  ASSERT_TRUE(rows().record_status("session-a", ended));
  EXPECT_FALSE(second().admit(who("session-c"), limits, reservation).refused) << "a song that ended frees its slot";
  EXPECT_TRUE(refused_by(first().admit(who("session-d"), limits, reservation), limit_refused::generating_cap));

  auto given = who("session-b");
  first().give_back(given, limits, /*may_exist_upstream=*/true);
  EXPECT_FALSE(first().admit(who("session-d"), limits, reservation).refused)
      << "a create that failed ends its reservation, even when it may exist upstream";
}

TEST_F(shared_limits_test, a_reservation_that_ran_out_frees_its_slot) {
  const limit_settings limits{.max_generating = 1};
  ASSERT_FALSE(first().admit(who("session-a"), limits, -1ms).refused);  // its instance died mid-create
  EXPECT_FALSE(second().admit(who("session-b"), limits, reservation).refused);
}

TEST_F(shared_limits_test, the_daily_budget_holds_over_both_instances_and_comes_back_only_when_nothing_was_made) {
  const limit_settings limits{.daily_budget = 2};
  auto a = who("a", "198.51.100.1");
  const auto first_spend = first().admit(a, limits, reservation);
  ASSERT_FALSE(first_spend.refused);
  EXPECT_GT(first_spend.utc_day, 20'000) << "days since 1970";
  EXPECT_FALSE(second().admit(who("b", "198.51.100.2"), limits, reservation).refused);
  const auto spent = first().admit(who("c", "198.51.100.3"), limits, reservation);
  EXPECT_TRUE(refused_by(spent, limit_refused::daily_budget));
  EXPECT_LE(spent.retry_after, 86400s) << "until the next UTC midnight";
  EXPECT_TRUE(refused_by(second().admit(who("c", "198.51.100.3"), limits, reservation), limit_refused::daily_budget));

  a.utc_day = first_spend.utc_day;
  second().give_back(a, limits, /*may_exist_upstream=*/true);
  EXPECT_TRUE(refused_by(first().admit(who("c"), limits, reservation), limit_refused::daily_budget))
      << "a generation that may exist is paid for";
  second().give_back(a, limits, /*may_exist_upstream=*/false);
  EXPECT_FALSE(first().admit(who("c"), limits, reservation).refused);
}

TEST_F(shared_limits_test, daily_shares_hold_per_client_and_per_network) {
  const limit_settings limits{.client_daily = 1, .network_daily = 2};
  EXPECT_FALSE(first().admit(who("a", "198.51.100.1"), limits, reservation).refused);
  EXPECT_TRUE(refused_by(second().admit(who("b", "198.51.100.1"), limits, reservation), limit_refused::client_daily));
  EXPECT_FALSE(second().admit(who("c", "198.51.100.2"), limits, reservation).refused);
  EXPECT_TRUE(refused_by(first().admit(who("d", "198.51.100.3"), limits, reservation), limit_refused::network_daily));
  EXPECT_FALSE(first().admit(who("e", "203.0.113.1", "203.0.113.0/24"), limits, reservation).refused);
}

TEST_F(shared_limits_test, a_refusal_takes_nothing) {
  // B is refused by the cap after its token was checked: had it kept the token, C would be refused by the rate.
  const limit_settings limits{.submit_burst = 2, .submits_per_hour = 1, .max_generating = 1, .daily_budget = 2};
  auto a = who("a");
  const auto admitted = first().admit(a, limits, reservation);
  ASSERT_FALSE(admitted.refused);
  EXPECT_TRUE(refused_by(second().admit(who("b"), limits, reservation), limit_refused::generating_cap));
  a.utc_day = admitted.utc_day;
  first().give_back(a, limits, /*may_exist_upstream=*/true);  // the token and the spend stay taken
  EXPECT_FALSE(second().admit(who("c"), limits, reservation).refused) << "the refused B took a token or a spend";
}

TEST_F(shared_limits_test, one_instance_at_a_time_holds_an_idempotency_key) {
  EXPECT_TRUE(first().claim_idempotency_key("198.51.100.7", "key-1", 1min));
  EXPECT_FALSE(second().claim_idempotency_key("198.51.100.7", "key-1", 1min));
  EXPECT_FALSE(first().claim_idempotency_key("198.51.100.7", "key-1", 1min)) << "not even its holder twice";
  EXPECT_TRUE(second().claim_idempotency_key("198.51.100.8", "key-1", 1min)) << "keys are per client";
  first().release_idempotency_key("198.51.100.7", "key-1");
  EXPECT_TRUE(second().claim_idempotency_key("198.51.100.7", "key-1", -1ms));  // its holder dies at once
  EXPECT_TRUE(first().claim_idempotency_key("198.51.100.7", "key-1", 1min)) << "a hold that ran out is free";
}

}  // namespace
}  // namespace serenade::store
