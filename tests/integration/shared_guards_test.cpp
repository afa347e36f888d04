// Two instances on one PostgreSQL database, reached in turn without a balancer: the guards in front of a paid
// generation hold over both, as if one process answered (store/shared_limits.hpp).
#include "harness.hpp"
#include "store/testing/postgres_database.hpp"

#include <gtest/gtest.h>

#include <future>
#include <set>

namespace serenade::testing {
namespace {

std::int64_t creates(stack& s) { return s.sim("GET", "/_sim/stats").json().at("creates").as_int64(); }

http_reply submit_to(std::uint16_t port, const std::string& marker, const header_pairs& extra = {}) {
  header_pairs headers{{"Content-Type", "application/json"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  return request(port, "POST", "/api/submissions", headers, form_json("Ana", "Ben", story_with(marker), "pop"));
}

struct two_instances {
  explicit two_instances(std::vector<std::string> limits, sim_settings sim = {})
      : s(sim, with_database(std::move(limits))), other(s.start_instance("b")) {}

  std::vector<std::string> with_database(std::vector<std::string> limits) {
    limits.insert(limits.end(), {"--database", db.url()});
    return limits;
  }
  // Requests go to the instances in turn.
  std::uint16_t port(int i) { return i % 2 == 0 ? s.api_port() : other.port; }

  store::postgres_database db;
  stack s;
  stack::instance other;
};

TEST(shared_guards, a_clients_burst_holds_over_both_instances) {
  two_instances both({"--submit-burst", "3", "--submits-per-hour", "1"});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(submit_to(both.port(i), "burst-" + std::to_string(i)).status, 201u) << i;
  for (int i = 3; i < 5; ++i) {
    const auto refused = submit_to(both.port(i), "burst-" + std::to_string(i));
    EXPECT_EQ(refused.status, 429u) << i;
    EXPECT_GT(std::stoi(refused.header("retry-after")), 60) << "one token an hour";
  }
  EXPECT_EQ(creates(both.s), 3) << "a refused submit reached the music service";
}

TEST(shared_guards, the_daily_budget_holds_over_both_instances) {
  two_instances both({"--daily-budget", "2"});
  EXPECT_EQ(submit_to(both.port(0), "budget-a").status, 201u);
  EXPECT_EQ(submit_to(both.port(1), "budget-b").status, 201u);
  for (int i = 2; i < 4; ++i) {
    const auto refused = submit_to(both.port(i), "budget-" + std::to_string(i));
    EXPECT_EQ(refused.status, 429u) << i;
    EXPECT_NE(std::string(refused.json().at("detail").as_string()).find("all the songs it can today"),
              std::string::npos)
        << refused.body;
  }
  EXPECT_EQ(creates(both.s), 2);
}

TEST(shared_guards, the_cap_on_songs_generating_holds_over_both_instances) {
  two_instances both({"--max-generating", "2"}, {.ready_after = 60});
  EXPECT_EQ(submit_to(both.port(0), "cap-a").status, 201u);
  EXPECT_EQ(submit_to(both.port(1), "cap-b").status, 201u);
  for (int i = 2; i < 4; ++i) {
    const auto busy = submit_to(both.port(i), "cap-" + std::to_string(i));
    EXPECT_EQ(busy.status, 429u) << i;
    EXPECT_EQ(busy.header("retry-after"), "30");
  }
  EXPECT_EQ(creates(both.s), 2);
  EXPECT_EQ(both.s.metric("serenade_submissions_refused_total{guard=\"generating_cap\"}") +
                metric_at(both.other.port, "serenade_submissions_refused_total{guard=\"generating_cap\"}"),
            2u);
}

TEST(shared_guards, twenty_concurrent_repeats_of_one_key_over_both_instances_make_one_generation) {
  two_instances both({});
  std::vector<std::future<http_reply>> repeats;
  for (int i = 0; i < 20; ++i) {
    const auto port = both.port(i);
    repeats.push_back(std::async(std::launch::async, [port] {
      return submit_to(port, "one-key-two-instances", {{"Idempotency-Key", "spread-20"}});
    }));
  }
  std::set<std::string> sessions;
  int created = 0;
  for (auto& r : repeats) {
    const auto reply = r.get();
    ASSERT_TRUE(reply.status == 201 || reply.status == 200) << reply.status << " " << reply.body << reply.error;
    created += reply.status == 201;
    sessions.insert(std::string(reply.json().at("session_id").as_string()));
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(sessions.size(), 1u) << "repeats got different songs";
  EXPECT_EQ(creates(both.s), 1) << "more than one paid generation for one Idempotency-Key";
  const auto later = submit_to(both.port(1), "one-key-two-instances", {{"Idempotency-Key", "spread-20"}});
  EXPECT_EQ(later.status, 200u);
  EXPECT_EQ(std::string(later.json().at("session_id").as_string()), *sessions.begin());
}

}  // namespace
}  // namespace serenade::testing
