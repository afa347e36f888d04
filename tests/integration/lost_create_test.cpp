// A create whose answer was lost (the simulator makes the task, then answers 504): the generation may exist and is
// paid for, so the song is kept rather than refused, and the webhook on the song's own URL names its task. A repeat
// of the submit starts nothing new; with no webhook in time the song fails and can be tried again.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

namespace serenade::testing {
namespace {

std::vector<std::string> webhook_args(std::uint16_t port, std::vector<std::string> more = {}) {
  auto args = webhook_receiver_args(port);
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

http_reply submit(stack& s, const std::string& marker, const std::string& idempotency_key) {
  return s.api("POST", "/api/submissions", form_json("Ana", "Ben", story_with(marker), "pop"),
               {{"Content-Type", "application/json"}, {"Idempotency-Key", idempotency_key}});
}

std::int64_t sim_stat(stack& s, const char* name) { return s.sim("GET", "/_sim/stats").json().at(name).as_int64(); }

std::string hook_for(const std::string& session) {
  return std::string("/api/webhooks/sonauto/") + test_webhook_token + "/" + session;
}

TEST(lost_create, the_songs_own_webhook_names_its_task_and_the_song_plays_to_the_end) {
  const auto port = free_loopback_port();
  stack s({.ready_after = 2, .extra_args = {"--lose-create-answers", "1"}}, webhook_args(port));
  const auto first = submit(s, "answer-lost", "lost-1");
  ASSERT_EQ(first.status, 201u) << first.body;
  const std::string session(first.json().at("session_id").as_string());
  EXPECT_EQ(sim_stat(s, "create_answers_lost"), 1);
  // The person sends the form again: the same song, nothing new made upstream.
  const auto repeat = submit(s, "answer-lost", "lost-1");
  EXPECT_EQ(repeat.status, 200u) << repeat.body;
  EXPECT_EQ(repeat.json().at("session_id").as_string(), session);

  const auto done = s.wait_for_state(session, is_complete, 30s);
  EXPECT_EQ(done.at("status").as_string(), "SUCCESS");
  EXPECT_EQ(sim_stat(s, "creates"), 1) << "a second generation was paid for";
  EXPECT_EQ(s.metric("serenade_creates_unconfirmed_total"), 1u);
  EXPECT_EQ(s.metric("serenade_creates_unconfirmed_ended_total{outcome=\"confirmed\"}"), 1u);
  EXPECT_EQ(s.metric("serenade_webhooks_total{outcome=\"confirmed_create\"}"), 1u);
  const auto task = s.task_for("answer-lost");
  const auto song = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(song.status, 200u);
  EXPECT_TRUE(s.is_whole_song(task, song.body)) << song.body.size() << " bytes";
}

// The webhooks are posted by hand (the simulator sends none), so each step happens in a known order: a task that is
// another song's is refused, the wait survives a restart, and the right task is then taken up.
TEST(lost_create, a_restart_keeps_waiting_and_only_an_unclaimed_task_is_taken_up) {
  const auto port = free_loopback_port();
  stack s({.ready_after = 1, .extra_args = {"--lose-create-answers", "1", "--webhooks", "none"}},
          webhook_args(port));
  const auto lost = submit(s, "lost-then-found", "key-a");
  ASSERT_EQ(lost.status, 201u) << lost.body;
  const std::string session(lost.json().at("session_id").as_string());
  const auto answered = s.submit("answered-normally");
  const auto other_task = s.task_for("answered-normally");

  // Another song's task on this song's URL is only a hint for that song.
  EXPECT_EQ(s.api("POST", hook_for(session), R"({"task_id":")" + other_task + R"("})").status, 204u);
  EXPECT_EQ(s.metric("serenade_creates_unconfirmed_ended_total{outcome=\"confirmed\"}"), 0u)
      << "another song's task was taken";
  EXPECT_EQ(s.api("GET", "/api/submissions/" + session).json().at("phase").as_string(), "composing");

  ASSERT_EQ(s.server().terminate(20s), 0);
  s.start_server();
  const auto task = s.task_for("lost-then-found");
  EXPECT_EQ(s.api("POST", hook_for(session), R"({"task_id":")" + task + R"(","status":"GENERATING"})").status, 204u);
  EXPECT_EQ(s.metric("serenade_creates_unconfirmed_ended_total{outcome=\"confirmed\"}"), 1u);
  EXPECT_EQ(s.wait_for_state(session, is_complete, 30s).at("status").as_string(), "SUCCESS");
  EXPECT_EQ(s.wait_for_state(answered, is_complete, 30s).at("status").as_string(), "SUCCESS");
  EXPECT_EQ(sim_stat(s, "creates"), 2);
}

TEST(lost_create, without_a_webhook_in_time_the_song_fails_and_can_be_tried_again) {
  const auto port = free_loopback_port();
  stack s({.ready_after = 1, .extra_args = {"--lose-create-answers", "1", "--webhooks", "none"}},
          webhook_args(port, {"--stall-timeout", "2", "--max-generating", "1"}));
  const auto lost = submit(s, "never-confirmed", "key-b");
  ASSERT_EQ(lost.status, 201u) << lost.body;
  const std::string session(lost.json().at("session_id").as_string());
  const auto failed = s.wait_for_state(session, [](const boost::json::object& o) {
    return o.at("phase").as_string() == "failed";
  });
  EXPECT_EQ(failed.at("error").as_string(),
            "The music service did not confirm that it started this song. Please try again.");
  EXPECT_EQ(s.metric("serenade_creates_unconfirmed_ended_total{outcome=\"never_confirmed\"}"), 1u);
  // The generating slot came back: the cap of one song at a time lets the retry through.
  const auto retried = s.api("POST", "/api/submissions/" + session + "/retry");
  ASSERT_EQ(retried.status, 200u) << retried.body;
  EXPECT_EQ(s.wait_for_state(session, is_complete, 30s).at("status").as_string(), "SUCCESS");
  EXPECT_EQ(sim_stat(s, "creates"), 2);
}

}  // namespace
}  // namespace serenade::testing
