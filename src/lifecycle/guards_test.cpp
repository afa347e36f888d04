#include "lifecycle/guards.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace serenade::lifecycle {
namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;

// Fake time: tests move it by hand and never sleep.
struct fake_steady {
  std::chrono::steady_clock::time_point now{std::chrono::hours{1000}};
  steady_source source() {
    return [this] { return now; };
  }
};

struct fake_system {
  std::chrono::system_clock::time_point now;
  system_source source() {
    return [this] { return now; };
  }
};

std::chrono::system_clock::time_point utc(std::chrono::year_month_day day, std::chrono::seconds time_of_day) {
  return std::chrono::sys_days{day} + time_of_day;
}

int count_allowed(token_bucket_limiter& limiter, std::string_view client, int tries) {
  int allowed = 0;
  for (int i = 0; i < tries; ++i) allowed += limiter.try_take(client) ? 1 : 0;
  return allowed;
}

// ----------------------------------------------------------------------------------------------------------------
// token_bucket_limiter

TEST(token_bucket_limiter, allows_a_burst_then_refuses_until_a_token_refills) {
  fake_steady clock;
  token_bucket_limiter limiter(5, 10, clock.source());  // one token every 6 minutes
  EXPECT_EQ(count_allowed(limiter, "1.2.3.4", 5), 5);
  auto refused = limiter.try_take("1.2.3.4");
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.retry_after, 360s);

  clock.now += 359s;
  refused = limiter.try_take("1.2.3.4");
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.retry_after, 1s);

  clock.now += 1s;
  EXPECT_TRUE(limiter.try_take("1.2.3.4"));
  EXPECT_FALSE(limiter.try_take("1.2.3.4"));
}

TEST(token_bucket_limiter, retry_after_rounds_up_partial_seconds) {
  fake_steady clock;
  token_bucket_limiter limiter(1, 7, clock.source());  // 3600/7 = 514.28… s per token
  EXPECT_TRUE(limiter.try_take("c"));
  EXPECT_EQ(limiter.try_take("c").retry_after, 515s);
  clock.now += 514s;
  EXPECT_EQ(limiter.try_take("c").retry_after, 1s);
  clock.now += 300ms;
  EXPECT_TRUE(limiter.try_take("c"));
}

TEST(token_bucket_limiter, refill_never_exceeds_capacity) {
  fake_steady clock;
  token_bucket_limiter limiter(3, 60, clock.source());
  EXPECT_EQ(count_allowed(limiter, "c", 3), 3);
  clock.now += 24h;
  EXPECT_EQ(count_allowed(limiter, "c", 10), 3);
}

TEST(token_bucket_limiter, clients_are_independent) {
  fake_steady clock;
  token_bucket_limiter limiter(2, 10, clock.source());
  EXPECT_EQ(count_allowed(limiter, "a", 3), 2);
  EXPECT_EQ(count_allowed(limiter, "b", 3), 2);
  EXPECT_EQ(count_allowed(limiter, "2001:db8::1", 3), 2);
}

TEST(token_bucket_limiter, zero_capacity_or_rate_disables_it) {
  fake_steady clock;
  token_bucket_limiter no_burst(0, 10, clock.source());
  token_bucket_limiter no_refill(5, 0, clock.source());
  EXPECT_EQ(count_allowed(no_burst, "c", 1000), 1000);
  EXPECT_EQ(count_allowed(no_refill, "c", 1000), 1000);
  EXPECT_EQ(no_burst.clients_for_test(), 0u);
}

TEST(token_bucket_limiter, give_back_returns_a_token_but_never_above_capacity) {
  fake_steady clock;
  token_bucket_limiter limiter(2, 10, clock.source());
  EXPECT_EQ(count_allowed(limiter, "c", 2), 2);
  limiter.give_back("c");
  EXPECT_TRUE(limiter.try_take("c"));
  EXPECT_FALSE(limiter.try_take("c"));

  limiter.give_back("fresh");  // no bucket: nothing to give back to
  limiter.give_back("c");
  limiter.give_back("c");
  limiter.give_back("c");
  EXPECT_EQ(count_allowed(limiter, "c", 5), 2);
}

TEST(token_bucket_limiter, forgets_clients_whose_bucket_refilled) {
  fake_steady clock;
  token_bucket_limiter limiter(5, 10, clock.source());
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.try_take("client-" + std::to_string(i)));
  EXPECT_EQ(limiter.clients_for_test(), 100u);

  // A client still short of tokens is kept; the rest refill within 6 minutes and are forgotten.
  EXPECT_EQ(count_allowed(limiter, "busy", 5), 5);
  clock.now += 6min;
  for (std::size_t i = 0; i < token_bucket_limiter::prune_every; ++i) limiter.try_take("other");
  EXPECT_LE(limiter.clients_for_test(), 2u);
  // "busy" got one token back in 6 minutes, so it kept its bucket: it has exactly that one token.
  EXPECT_TRUE(limiter.try_take("busy"));
  EXPECT_FALSE(limiter.try_take("busy"));
}

TEST(token_bucket_limiter, memory_is_bounded_by_an_overflow_bucket) {
  fake_steady clock;
  token_bucket_limiter limiter(1, 10, clock.source(), 2);
  EXPECT_TRUE(limiter.try_take("a"));
  EXPECT_TRUE(limiter.try_take("b"));
  // The map is full: new clients share one bucket.
  EXPECT_TRUE(limiter.try_take("c"));
  EXPECT_FALSE(limiter.try_take("d"));
  EXPECT_EQ(limiter.clients_for_test(), 2u);
  limiter.give_back("d");
  EXPECT_TRUE(limiter.try_take("e"));
  // Known clients keep their own buckets.
  EXPECT_FALSE(limiter.try_take("a"));
}

TEST(token_bucket_limiter, concurrent_takes_never_exceed_the_burst) {
  fake_steady clock;
  token_bucket_limiter limiter(100, 10, clock.source());
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] { allowed += count_allowed(limiter, "shared", 1000); });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 100);
}

// ----------------------------------------------------------------------------------------------------------------
// daily_budget

TEST(daily_budget, refuses_until_the_next_utc_midnight) {
  using namespace std::chrono;
  fake_system clock{utc(2024y / March / 10, 23h + 59min)};
  daily_budget budget(2, clock.source());
  EXPECT_TRUE(budget.try_spend());
  EXPECT_TRUE(budget.try_spend());
  auto refused = budget.try_spend();
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.retry_after, 60s);
  EXPECT_EQ(budget.spent_today(), 2u);

  clock.now += 59s + 500ms;
  EXPECT_EQ(budget.try_spend().retry_after, 1s);  // half a second left: rounded up

  clock.now += 500ms;  // 00:00:00 UTC
  EXPECT_EQ(budget.spent_today(), 0u);
  EXPECT_TRUE(budget.try_spend());
  EXPECT_TRUE(budget.try_spend());
  EXPECT_EQ(budget.try_spend().retry_after, 24h);
}

TEST(daily_budget, start_of_today_is_utc_midnight) {
  using namespace std::chrono;
  fake_system clock{utc(2024y / March / 10, 13h + 5min)};
  daily_budget budget(5, clock.source());
  EXPECT_EQ(budget.start_of_today(), utc(2024y / March / 10, 0s));
}

TEST(daily_budget, refund_gives_back_a_spend_of_the_same_day) {
  using namespace std::chrono;
  fake_system clock{utc(2024y / March / 10, 12h)};
  daily_budget budget(1, clock.source());
  auto spent = budget.try_spend();
  ASSERT_TRUE(spent);
  EXPECT_FALSE(budget.try_spend());
  budget.refund(spent);
  EXPECT_EQ(budget.spent_today(), 0u);
  EXPECT_TRUE(budget.try_spend());

  // A refusal holds nothing, so refunding it changes nothing.
  auto refused = budget.try_spend();
  EXPECT_FALSE(refused);
  budget.refund(refused);
  EXPECT_EQ(budget.spent_today(), 1u);
}

TEST(daily_budget, refund_of_yesterdays_spend_does_not_touch_today) {
  using namespace std::chrono;
  fake_system clock{utc(2024y / March / 10, 23h + 59min + 59s)};
  daily_budget budget(1, clock.source());
  auto yesterday = budget.try_spend();
  ASSERT_TRUE(yesterday);
  clock.now += 2s;
  ASSERT_TRUE(budget.try_spend());
  budget.refund(yesterday);
  EXPECT_EQ(budget.spent_today(), 1u);
  EXPECT_FALSE(budget.try_spend());
}

TEST(daily_budget, restore_counts_what_a_restart_found) {
  using namespace std::chrono;
  fake_system clock{utc(2024y / March / 10, 8h)};
  daily_budget budget(3, clock.source());
  budget.restore(2);
  EXPECT_TRUE(budget.try_spend());
  EXPECT_FALSE(budget.try_spend());
}

TEST(daily_budget, zero_disables_it_but_still_counts) {
  using namespace std::chrono;
  fake_system clock{utc(2024y / March / 10, 8h)};
  daily_budget budget(0, clock.source());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(budget.try_spend());
  EXPECT_EQ(budget.spent_today(), 1000u);
}

// ----------------------------------------------------------------------------------------------------------------
// concurrency_cap

TEST(concurrency_cap, refuses_at_the_cap_until_a_release) {
  concurrency_cap cap(2);
  EXPECT_TRUE(cap.try_acquire());
  EXPECT_TRUE(cap.try_acquire());
  auto refused = cap.try_acquire();
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.retry_after, 30s);
  EXPECT_EQ(cap.generating(), 2u);
  cap.release();
  EXPECT_TRUE(cap.try_acquire());
  EXPECT_FALSE(cap.try_acquire());
}

TEST(concurrency_cap, adopt_counts_beyond_the_cap) {
  concurrency_cap cap(1, 5s);
  cap.adopt();
  cap.adopt();
  EXPECT_EQ(cap.generating(), 2u);
  EXPECT_EQ(cap.try_acquire().retry_after, 5s);
  cap.release();
  EXPECT_FALSE(cap.try_acquire());
  cap.release();
  EXPECT_TRUE(cap.try_acquire());
}

TEST(concurrency_cap, zero_disables_it_but_still_counts) {
  concurrency_cap cap(0);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(cap.try_acquire());
  EXPECT_EQ(cap.generating(), 100u);
  cap.release();
  EXPECT_EQ(cap.generating(), 99u);
}

TEST(concurrency_cap, concurrent_acquires_never_exceed_the_cap) {
  concurrency_cap cap(50);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) allowed += cap.try_acquire() ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 50);
  EXPECT_EQ(cap.generating(), 50u);
}

// ----------------------------------------------------------------------------------------------------------------
// submission_guards

struct submission_admission : ::testing::Test {
  fake_steady steady;
  fake_system system{utc(std::chrono::year{2024} / 3 / 10, std::chrono::hours{12})};

  submission_guards make(guard_limits limits) { return submission_guards(limits, steady.source(), system.source()); }
};

TEST_F(submission_admission, admits_and_holds_one_of_each) {
  auto guards = make({.submit_burst = 2, .submits_per_hour = 10, .daily_budget = 10, .max_generating = 10});
  auto admitted = guards.admit("c");
  ASSERT_TRUE(admitted);
  EXPECT_EQ(admitted.client, "c");
  EXPECT_EQ(guards.generating().generating(), 1u);
  EXPECT_EQ(guards.budget().spent_today(), 1u);
  guards.generation_ended();
  EXPECT_EQ(guards.generating().generating(), 0u);
  EXPECT_EQ(guards.budget().spent_today(), 1u);  // ending a song does not refund the day's budget
}

TEST_F(submission_admission, client_rate_is_checked_first) {
  auto guards = make({.submit_burst = 1, .submits_per_hour = 10, .daily_budget = 1, .max_generating = 1});
  ASSERT_TRUE(guards.admit("c"));
  auto refused = guards.admit("c");
  ASSERT_TRUE(refused.refused);
  EXPECT_EQ(refused.refused->by, refusal::guard::client_rate);
  EXPECT_EQ(refused.refused->retry_after, 360s);
  EXPECT_STREQ(name(refused.refused->by), "client_rate");
}

TEST_F(submission_admission, generating_cap_refusal_gives_the_token_back) {
  auto guards = make({.submit_burst = 1, .submits_per_hour = 10, .daily_budget = 10, .max_generating = 1});
  ASSERT_TRUE(guards.admit("a"));
  auto refused = guards.admit("b");
  ASSERT_TRUE(refused.refused);
  EXPECT_EQ(refused.refused->by, refusal::guard::generating_cap);
  EXPECT_EQ(refused.refused->retry_after, 30s);
  EXPECT_EQ(guards.budget().spent_today(), 1u);

  guards.generation_ended();
  EXPECT_TRUE(guards.admit("b"));  // b's one token was not used up by the refusal
}

TEST_F(submission_admission, budget_refusal_gives_back_the_slot_and_the_token) {
  auto guards = make({.submit_burst = 1, .submits_per_hour = 10, .daily_budget = 1, .max_generating = 5});
  ASSERT_TRUE(guards.admit("a"));
  auto refused = guards.admit("b");
  ASSERT_TRUE(refused.refused);
  EXPECT_EQ(refused.refused->by, refusal::guard::daily_budget);
  EXPECT_EQ(refused.refused->retry_after, 12h);
  EXPECT_EQ(guards.generating().generating(), 1u);

  system.now += 12h;
  EXPECT_TRUE(guards.admit("b"));
}

TEST_F(submission_admission, upstream_refusal_gives_everything_back) {
  auto guards = make({.submit_burst = 1, .submits_per_hour = 10, .daily_budget = 1, .max_generating = 1});
  auto admitted = guards.admit("c");
  ASSERT_TRUE(admitted);
  guards.upstream_refused(admitted);
  EXPECT_EQ(guards.generating().generating(), 0u);
  EXPECT_EQ(guards.budget().spent_today(), 0u);
  EXPECT_TRUE(guards.admit("c"));

  // Giving back a refusal is harmless.
  auto refused = guards.admit("c");
  ASSERT_FALSE(refused);
  guards.upstream_refused(refused);
  EXPECT_EQ(guards.generating().generating(), 1u);
  EXPECT_EQ(guards.budget().spent_today(), 1u);
}

TEST_F(submission_admission, a_create_that_may_exist_upstream_stays_spent) {
  auto guards = make({.submit_burst = 1, .submits_per_hour = 10, .daily_budget = 5, .max_generating = 1});
  auto admitted = guards.admit("c");
  ASSERT_TRUE(admitted);
  guards.upstream_refused(admitted, /*may_exist_upstream=*/true);
  EXPECT_EQ(guards.generating().generating(), 0u);
  EXPECT_EQ(guards.budget().spent_today(), 1u);
  auto refused = guards.admit("c");
  ASSERT_TRUE(refused.refused);
  EXPECT_EQ(refused.refused->by, refusal::guard::client_rate);
  EXPECT_TRUE(guards.admit("d"));  // the slot is free for others
}

TEST_F(submission_admission, resumed_generations_fill_the_cap) {
  auto guards = make({.submit_burst = 5, .submits_per_hour = 10, .daily_budget = 10, .max_generating = 2});
  guards.generation_resumed();
  guards.generation_resumed();
  auto refused = guards.admit("c");
  ASSERT_TRUE(refused.refused);
  EXPECT_EQ(refused.refused->by, refusal::guard::generating_cap);
  guards.generation_ended();
  EXPECT_TRUE(guards.admit("c"));
}

TEST_F(submission_admission, all_zero_limits_disable_every_guard) {
  auto guards = make({.submit_burst = 0, .submits_per_hour = 0, .daily_budget = 0, .max_generating = 0,
                       .client_daily = 0, .network_daily = 0});
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(guards.admit("c", "n"));
}

TEST(daily_shares, each_range_spends_its_own_share_until_utc_midnight) {
  using namespace std::chrono;
  fake_system clock{utc(2024y / March / 10, 23h + 59min)};
  daily_shares shares(2, clock.source());
  EXPECT_TRUE(shares.try_spend("198.51.100.0/24"));
  EXPECT_TRUE(shares.try_spend("198.51.100.0/24"));
  const auto refused = shares.try_spend("198.51.100.0/24");
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.retry_after, 60s);
  EXPECT_TRUE(shares.try_spend("203.0.113.0/24")) << "another network has its own share";
  EXPECT_TRUE(shares.try_spend("")) << "no range, no share to spend";
  clock.now += 1min;
  EXPECT_TRUE(shares.try_spend("198.51.100.0/24")) << "a new UTC day";
}

TEST(daily_shares, a_refund_of_the_same_day_gives_the_share_back) {
  using namespace std::chrono;
  fake_system clock{utc(2024y / March / 10, 12h)};
  daily_shares shares(1, clock.source());
  const auto spent = shares.try_spend("n");
  ASSERT_TRUE(spent);
  EXPECT_FALSE(shares.try_spend("n"));
  shares.refund("n", spent);
  EXPECT_TRUE(shares.try_spend("n"));
}

TEST_F(submission_admission, rotating_clients_of_one_network_spend_only_the_networks_share) {
  auto guards = make({.submit_burst = 5, .submits_per_hour = 10, .daily_budget = 100, .max_generating = 0,
                      .client_daily = 2, .network_daily = 3});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(guards.admit("2001:db8:0:" + std::to_string(i) + "::/64", "2001:db8::/48"));
  const auto refused = guards.admit("2001:db8:0:9::/64", "2001:db8::/48");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.refused->by, refusal::guard::network_daily);
  EXPECT_EQ(guards.budget().spent_today(), 3u) << "the rest of the budget stays for everybody else";
  EXPECT_TRUE(guards.admit("2001:db8:1:1::/64", "2001:db8:1::/48"));
}

TEST_F(submission_admission, a_client_over_its_daily_share_is_refused_and_holds_nothing) {
  auto guards = make({.submit_burst = 5, .submits_per_hour = 10, .daily_budget = 100, .max_generating = 10,
                      .client_daily = 2, .network_daily = 10});
  ASSERT_TRUE(guards.admit("c", "n"));
  ASSERT_TRUE(guards.admit("c", "n"));
  const auto refused = guards.admit("c", "n");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.refused->by, refusal::guard::client_daily);
  EXPECT_EQ(guards.generating().generating(), 2u);
  EXPECT_EQ(guards.budget().spent_today(), 2u);
}

TEST_F(submission_admission, an_upstream_refusal_gives_the_daily_shares_back) {
  auto guards = make({.submit_burst = 5, .submits_per_hour = 10, .daily_budget = 100, .max_generating = 10,
                      .client_daily = 1, .network_daily = 1});
  auto admitted = guards.admit("c", "n");
  ASSERT_TRUE(admitted);
  guards.upstream_refused(admitted);
  EXPECT_TRUE(guards.admit("c", "n"));
}

}  // namespace
}  // namespace serenade::lifecycle
