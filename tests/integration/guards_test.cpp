// Paid calls are guarded: idempotent submits, per-client rate limit, daily budget, cap on songs generating.
// Each refusal is a 429 with Retry-After and a sentence, and creates nothing upstream.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <future>
#include <set>

namespace serenade::testing {
namespace {

namespace json = boost::json;

std::int64_t creates(stack& s) { return s.sim("GET", "/_sim/stats").json().at("creates").as_int64(); }

http_reply submit(stack& s, const std::string& marker, const header_pairs& extra = {}) {
  header_pairs headers{{"Content-Type", "application/json"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  return s.api("POST", "/api/submissions", form_json("Ana", "Ben", story_with(marker), "pop"), headers);
}

TEST(guards, twenty_concurrent_repeats_of_one_key_make_one_generation) {
  stack s;
  std::vector<std::future<http_reply>> repeats;
  for (int i = 0; i < 20; ++i) {
    repeats.push_back(std::async(std::launch::async, [&] { return submit(s, "same-key", {{"Idempotency-Key", "fill-42"}}); }));
  }
  std::set<std::string> sessions;
  int created = 0;
  for (auto& r : repeats) {
    auto reply = r.get();
    ASSERT_TRUE(reply.status == 201 || reply.status == 200) << reply.status << " " << reply.body;
    created += reply.status == 201;
    sessions.insert(std::string(reply.json().at("session_id").as_string()));
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(sessions.size(), 1u) << "repeats got different submissions";
  EXPECT_EQ(creates(s), 1) << "more than one paid generation for one Idempotency-Key";
  // A later repeat still gets the same submission, with 200.
  auto later = submit(s, "same-key", {{"Idempotency-Key", "fill-42"}});
  EXPECT_EQ(later.status, 200u);
  EXPECT_EQ(std::string(later.json().at("session_id").as_string()), *sessions.begin());
  EXPECT_EQ(creates(s), 1);
}

TEST(guards, an_invalid_idempotency_key_is_400) {
  stack s;
  auto reply = submit(s, "bad-key", {{"Idempotency-Key", std::string(300, 'k')}});
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(creates(s), 0);
}

TEST(guards, the_client_beyond_its_burst_gets_429_with_retry_after) {
  stack s({}, {"--submit-burst", "2", "--submits-per-hour", "1"});
  EXPECT_EQ(submit(s, "one").status, 201u);
  EXPECT_EQ(submit(s, "two").status, 201u);
  auto third = submit(s, "three");
  EXPECT_EQ(third.status, 429u);
  EXPECT_GT(std::stoi(third.header("retry-after")), 0);
  EXPECT_NE(std::string(third.json().at("detail").as_string()).find("Please wait"), std::string::npos);
  EXPECT_EQ(creates(s), 2) << "a refused submit reached the music service";
}

TEST(guards, behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket) {
  stack s({}, {"--submit-burst", "1", "--submits-per-hour", "1", "--trust-proxy"});
  EXPECT_EQ(submit(s, "a1", {{"X-Forwarded-For", "203.0.113.7"}}).status, 201u);
  EXPECT_EQ(submit(s, "a2", {{"X-Forwarded-For", "203.0.113.7"}}).status, 429u);
  EXPECT_EQ(submit(s, "b1", {{"X-Forwarded-For", "198.51.100.9, 10.0.0.1"}}).status, 201u);
}

TEST(guards, the_daily_budget_refuses_the_next_generation) {
  stack s({}, {"--daily-budget", "1"});
  EXPECT_EQ(submit(s, "first").status, 201u);
  auto second = submit(s, "second");
  EXPECT_EQ(second.status, 429u);
  EXPECT_FALSE(second.header("retry-after").empty());
  EXPECT_NE(std::string(second.json().at("detail").as_string()).find("all the songs it can today"), std::string::npos);
  EXPECT_EQ(creates(s), 1);
}

TEST(guards, the_cap_on_songs_generating_at_once_refuses_the_next_with_429) {
  stack s({.ready_after = 30}, {"--max-generating", "1"});
  EXPECT_EQ(submit(s, "generating").status, 201u);
  auto busy = submit(s, "waiting");
  EXPECT_EQ(busy.status, 429u);
  EXPECT_EQ(busy.header("retry-after"), "30");
  EXPECT_EQ(creates(s), 1);
}

TEST(guards, rotating_ipv6_addresses_spends_one_clients_tokens_and_one_networks_share) {
  stack s({}, {"--trust-proxy", "--submit-burst", "2", "--submits-per-hour", "1", "--network-daily-limit", "3",
               "--client-daily-limit", "0"});
  const auto from = [](const std::string& address) { return header_pairs{{"X-Forwarded-For", address}}; };
  // One /64: a new address for every request is still one client with one bucket.
  EXPECT_EQ(submit(s, "v6-a", from("2001:db8:0:1::1")).status, 201u);
  EXPECT_EQ(submit(s, "v6-b", from("2001:db8:0:1::2")).status, 201u);
  EXPECT_EQ(submit(s, "v6-c", from("2001:db8:0:1:ffff::3")).status, 429u);
  // Another /64 of the same /48: a client of its own, but the network's daily share is nearly spent.
  EXPECT_EQ(submit(s, "v6-d", from("2001:db8:0:2::1")).status, 201u);
  const auto refused = submit(s, "v6-e", from("2001:db8:0:3::1"));
  EXPECT_EQ(refused.status, 429u);
  EXPECT_FALSE(refused.header("retry-after").empty());
  EXPECT_NE(std::string(refused.json().at("detail").as_string()).find("from your network today"), std::string::npos)
      << refused.body;
  EXPECT_EQ(s.metric("serenade_submissions_refused_total{guard=\"range_share\"}"), 1u);
  // Everybody else still has the rest of the budget.
  EXPECT_EQ(submit(s, "elsewhere", from("2001:db8:1::1")).status, 201u);
  EXPECT_EQ(creates(s), 4);
}

}  // namespace
}  // namespace serenade::testing
