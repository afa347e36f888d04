#include "lifecycle/status_events.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using namespace serenade::lifecycle;
using namespace std::chrono_literals;

namespace {

// A clock the test moves by hand, so forgetting after an hour takes no time.
struct fake_clock {
  std::chrono::steady_clock::time_point t{};
  status_events_options options() {
    status_events_options o;
    o.now = [this] { return t; };
    return o;
  }
};

std::vector<std::uint64_t> ids_of(const catch_up& c) {
  std::vector<std::uint64_t> out;
  for (const auto& e : c.events) out.push_back(e.id);
  return out;
}

}  // namespace

TEST(status_events, ids_start_at_one_and_increase_per_session) {
  status_events bus;
  EXPECT_EQ(bus.publish("a", "{}"), 1u);
  EXPECT_EQ(bus.publish("a", "{}"), 2u);
  EXPECT_EQ(bus.publish("b", "{}"), 1u);
  EXPECT_EQ(bus.publish("a", "{}"), 3u);
  const auto a = bus.events_after("a", 0);
  EXPECT_EQ(a.latest_id, 3u);
  EXPECT_TRUE(a.complete);
  EXPECT_EQ(ids_of(a), (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST(status_events, resume_returns_only_later_events) {
  status_events bus;
  bus.publish("a", R"({"status":"PROMPT"})");
  bus.publish("a", R"({"status":"GENERATING"})");
  bus.publish("a", R"({"status":"SUCCESS"})", true);
  const auto c = bus.events_after("a", 1);
  ASSERT_EQ(ids_of(c), (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(c.events[0].data, R"({"status":"GENERATING"})");
  EXPECT_FALSE(c.events[0].finishing);
  EXPECT_TRUE(c.events[1].finishing);
  EXPECT_TRUE(c.finished);
  EXPECT_TRUE(c.complete);
  EXPECT_TRUE(bus.events_after("a", 3).events.empty());
  EXPECT_TRUE(bus.events_after("a", 3).complete);
  EXPECT_FALSE(bus.events_after("a", 9).complete);  // an id this bus never gave
}

TEST(status_events, history_is_bounded) {
  status_events_options o;
  o.history = 4;
  status_events bus(o);
  for (int i = 0; i < 10; ++i) bus.publish("a", "{}");
  const auto all = bus.events_after("a", 0);
  EXPECT_EQ(ids_of(all), (std::vector<std::uint64_t>{7, 8, 9, 10}));
  EXPECT_FALSE(all.complete);                        // 1..6 are gone
  EXPECT_FALSE(bus.events_after("a", 5).complete);   // 6 is gone
  EXPECT_TRUE(bus.events_after("a", 6).complete);
}

TEST(status_events, wake_is_called_on_publish_once) {
  status_events bus;
  bus.publish("a", "{}");
  int woken = 0;
  bus.notify_after("a", 1, [&] { ++woken; });
  bus.notify_after("b", 0, [&] { ++woken; });  // another session: not woken by "a"
  EXPECT_EQ(woken, 0);
  bus.publish("a", "{}");
  EXPECT_EQ(woken, 1);
  bus.publish("a", "{}");
  EXPECT_EQ(woken, 1);  // one-shot
  bus.publish("b", "{}");
  EXPECT_EQ(woken, 2);
}

TEST(status_events, wake_is_called_at_once_when_already_behind) {
  status_events bus;
  bus.publish("a", "{}");
  bus.publish("a", "{}");
  int woken = 0;
  bus.notify_after("a", 1, [&] { ++woken; });
  EXPECT_EQ(woken, 1);
  // After a restart or forgetting the client may hold a larger id than the bus: that is a change, too.
  bus.notify_after("a", 7, [&] { ++woken; });
  EXPECT_EQ(woken, 2);
}

TEST(status_events, wake_from_another_thread) {
  status_events bus;
  std::atomic<bool> woken{false};
  bus.notify_after("a", 0, [&] { woken = true; });
  std::thread publisher([&] { bus.publish("a", "{}"); });
  publisher.join();
  EXPECT_TRUE(woken);
}

TEST(status_events, finished_sessions_are_forgotten_after_finished_ttl) {
  fake_clock clock;
  status_events bus(clock.options());
  bus.publish("done", "{}", true);
  bus.publish("open", "{}");
  clock.t += 9min;
  bus.publish("other", "{}");
  EXPECT_EQ(bus.sessions_for_test(), 3u);
  clock.t += 2min;
  bus.publish("other", "{}");
  EXPECT_EQ(bus.sessions_for_test(), 2u);
  EXPECT_EQ(bus.events_after("done", 0).latest_id, 0u);
  EXPECT_EQ(bus.events_after("open", 0).latest_id, 1u);
}

TEST(status_events, idle_sessions_are_forgotten_and_their_readers_woken) {
  fake_clock clock;
  status_events bus(clock.options());
  bus.publish("stuck", "{}");
  int woken = 0;
  bus.notify_after("stuck", 1, [&] { ++woken; });
  clock.t += 59min;
  bus.publish("other", "{}");
  EXPECT_EQ(woken, 0);
  clock.t += 2min;
  bus.publish("other", "{}");
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(bus.sessions_for_test(), 1u);
  // Ids start again; the reader that held 1 sees latest 0 < 1 and starts over.
  EXPECT_EQ(bus.events_after("stuck", 1).latest_id, 0u);
  EXPECT_EQ(bus.publish("stuck", "{}"), 1u);
}

TEST(status_events, plan_without_last_event_id_sends_current_state) {
  status_events bus;
  bus.publish("a", "{}");
  EXPECT_EQ(plan_stream_start(std::nullopt, bus.events_after("a", 0), false), stream_start::current_state);
}

TEST(status_events, plan_replays_known_ids_and_falls_back_to_state) {
  status_events_options o;
  o.history = 2;
  status_events bus(o);
  for (int i = 0; i < 4; ++i) bus.publish("a", "{}");
  EXPECT_EQ(plan_stream_start(3, bus.events_after("a", 3), false), stream_start::replay);
  EXPECT_EQ(plan_stream_start(4, bus.events_after("a", 4), false), stream_start::replay);  // up to date: wait
  EXPECT_EQ(plan_stream_start(1, bus.events_after("a", 1), false), stream_start::current_state);  // 2 is gone
  EXPECT_EQ(plan_stream_start(8, bus.events_after("a", 8), false), stream_start::current_state);  // not ours
}

TEST(status_events, plan_answers_no_content_once_the_client_has_the_end) {
  status_events bus;
  bus.publish("a", "{}");
  bus.publish("a", "{}", true);
  EXPECT_EQ(plan_stream_start(2, bus.events_after("a", 2), true), stream_start::no_content);
  EXPECT_EQ(plan_stream_start(1, bus.events_after("a", 1), true), stream_start::replay);
  // A session the bus does not know (restart, forgotten): only "0 and finished" is certainly seen.
  EXPECT_EQ(plan_stream_start(0, bus.events_after("x", 0), true), stream_start::no_content);
  EXPECT_EQ(plan_stream_start(0, bus.events_after("x", 0), false), stream_start::current_state);
  EXPECT_EQ(plan_stream_start(5, bus.events_after("x", 5), true), stream_start::current_state);
}

TEST(status_events, parse_event_id_accepts_decimal_only) {
  EXPECT_EQ(parse_event_id("12"), 12u);
  EXPECT_EQ(parse_event_id(" 3 "), 3u);
  EXPECT_EQ(parse_event_id("0"), 0u);
  EXPECT_FALSE(parse_event_id(""));
  EXPECT_FALSE(parse_event_id("-1"));
  EXPECT_FALSE(parse_event_id("12abc"));
  EXPECT_FALSE(parse_event_id("99999999999999999999999"));
}

TEST(status_events, a_change_heard_from_elsewhere_is_published_only_for_a_known_session_and_only_when_new) {
  status_events bus;
  EXPECT_FALSE(bus.publish_heard("nobody-asked", R"({"status":"PROMPT"})", false));
  EXPECT_TRUE(bus.known_sessions().empty());
  EXPECT_FALSE(bus.knows("watched"));
  bool woken = false;
  bus.notify_after("watched", 0, [&] { woken = true; });
  EXPECT_TRUE(bus.knows("watched"));
  EXPECT_EQ(bus.known_sessions(), std::vector<std::string>{"watched"});
  EXPECT_TRUE(bus.publish_heard("watched", R"({"status":"PROMPT"})", false));
  EXPECT_TRUE(woken);
  EXPECT_FALSE(bus.publish_heard("watched", R"({"status":"PROMPT"})", false)) << "the same state twice";
  EXPECT_TRUE(bus.publish_heard("watched", R"({"status":"SUCCESS"})", true));
  const auto seen = bus.events_after("watched", 0);
  EXPECT_EQ(ids_of(seen), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_TRUE(seen.finished);
}
