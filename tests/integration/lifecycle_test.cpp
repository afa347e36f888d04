// The submission lifecycle as seen from outside: statuses recorded in order, success, failure, restart.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <ostream>

namespace serenade::testing {
namespace {

namespace json = boost::json;

bool finished(const json::object& o) {
  const auto phase = o.at("phase").as_string();
  return phase == "complete" || phase == "failed";
}

TEST(lifecycle, a_song_moves_through_ready_to_complete) {
  stack s;
  auto created = s.api("POST", "/api/submissions", form_json("Ana", "Ben", story_with("happy-path"), "pop"));
  ASSERT_EQ(created.status, 201u);
  const auto body = created.json().as_object();
  const std::string session(body.at("session_id").as_string());
  EXPECT_EQ(session.size(), 22u);
  EXPECT_EQ(body.at("status_url").as_string(), "/api/submissions/" + session);
  EXPECT_EQ(body.at("stream_url").as_string(), "/api/stream/" + session);
  EXPECT_EQ(created.header("location"), "/api/submissions/" + session);

  auto first = s.api("GET", "/api/submissions/" + session).json().as_object();
  EXPECT_EQ(first.at("phase").as_string(), "composing");
  EXPECT_TRUE(first.at("streaming_ready_at").is_null());
  EXPECT_FALSE(first.contains("prompt")) << "internal fields must not be exposed";
  EXPECT_FALSE(first.contains("task_id")) << "internal fields must not be exposed";

  auto ready = s.wait_for_state(session, [](const json::object& o) { return o.at("stream_ready").as_bool(); });
  EXPECT_FALSE(ready.at("streaming_ready_at").is_null());
  auto done = s.wait_for_state(session, finished);
  EXPECT_EQ(done.at("phase").as_string(), "complete");
  EXPECT_EQ(done.at("status").as_string(), "SUCCESS");
  EXPECT_FALSE(done.at("completed_at").is_null());
  EXPECT_EQ(done.at("streaming_ready_at"), ready.at("streaming_ready_at")) << "streaming_ready_at moved";
  EXPECT_TRUE(done.at("error").is_null());
}

TEST(lifecycle, a_failed_generation_is_recorded_with_a_readable_message) {
  stack s({.ready_after = 3});
  const auto session = s.submit("doomed");
  ASSERT_EQ(s.sim("POST", "/_sim/control", R"({"task_id":")" + s.task_for("doomed") + R"(","fail_at":"TASK_SENT"})").status,
            200u);
  auto done = s.wait_for_state(session, finished);
  EXPECT_EQ(done.at("phase").as_string(), "failed");
  EXPECT_EQ(done.at("status").as_string(), "FAILURE");
  EXPECT_EQ(done.at("error").as_string(), "The music service could not finish this song.");
  EXPECT_FALSE(done.at("completed_at").is_null());
  EXPECT_TRUE(done.at("streaming_ready_at").is_null());
}

TEST(lifecycle, unfinished_songs_are_followed_again_after_a_restart) {
  stack s({.song_seconds = 6, .speed = 2, .ready_after = 2});
  const auto session = s.submit("restart");
  s.server().kill_now();
  s.start_server();
  // Only the new server can take the song further: reaching the end proves it followed the song again.
  auto done = s.wait_for_state(session, finished);
  EXPECT_EQ(done.at("phase").as_string(), "complete");
}

TEST(lifecycle, upstream_refusals_map_to_honest_statuses) {
  stack s;
  s.sim("POST", "/_sim/control", R"({"api_key":"sksonauto_someone_else"})");
  auto refused = s.api("POST", "/api/submissions", form_json("Ana", "Ben", story_with("no-key"), "pop"));
  EXPECT_EQ(refused.status, 503u);
  EXPECT_EQ(refused.header("content-type"), "application/json");
  EXPECT_EQ(s.sim("GET", "/_sim/stats").json().at("creates").as_int64(), 0);
}

}  // namespace
}  // namespace serenade::testing

namespace serenade::testing {
namespace {

TEST(lifecycle, a_failed_song_tried_again_plays_under_the_same_link) {
  stack s({.song_seconds = 4, .speed = 4, .ready_after = 1.5});
  const auto session = s.submit("try-again");
  const auto failed_task = s.task_for("try-again");
  ASSERT_EQ(s.sim("POST", "/_sim/control", R"({"task_id":")" + failed_task + R"(","fail_at":"PROMPT"})").status, 200u);
  s.wait_for_state(session, [](const json::object& o) { return o.at("phase").as_string() == "failed"; });
  // Only a failed song can be retried, and an unknown one is 404.
  EXPECT_EQ(s.api("POST", "/api/submissions/AAAAAAAAAAAAAAAAAAAAAA/retry", "{}").status, 404u);

  auto retried = s.api("POST", "/api/submissions/" + session + "/retry", "{}");
  ASSERT_EQ(retried.status, 200u) << retried.body;
  EXPECT_EQ(retried.json().at("session_id").as_string(), session);
  EXPECT_EQ(retried.json().at("attempt").as_int64(), 2);
  EXPECT_EQ(s.api("POST", "/api/submissions/" + session + "/retry", "{}").status, 409u) << "retried while not failed";

  auto done = s.wait_for_state(session, is_complete, 30s);
  EXPECT_TRUE(done.at("error").is_null());
  auto song = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(song.status, 200u);
  // The second generation's song, not the failed one's.
  const auto tasks = s.sim("GET", "/_sim/tasks").json().as_array();
  ASSERT_EQ(tasks.size(), 2u);
  std::string second_task;
  for (const auto& t : tasks) {
    if (t.at("task_id").as_string() != failed_task) second_task = std::string(t.at("task_id").as_string());
  }
  EXPECT_TRUE(s.is_whole_song(second_task, song.body)) << "the link does not play the new generation's song";
  EXPECT_EQ(s.sim("GET", "/_sim/stats").json().at("creates").as_int64(), 2);
}

TEST(lifecycle, lyrics_are_shown_as_soon_as_they_are_written) {
  stack s({.ready_after = 3});
  const auto session = s.submit("lyrics");
  auto with_lyrics = s.wait_for_state(session, [](const json::object& o) { return !o.at("lyrics").is_null(); });
  EXPECT_NE(std::string(with_lyrics.at("lyrics").as_string()).find("[Verse 1]"), std::string::npos);
  EXPECT_NE(with_lyrics.at("phase").as_string(), "complete") << "lyrics came only at the end";
}

// The song's language: the prompt Sonauto receives asks for the one the form chose, and one the form does not offer
// is refused with the field named before anything reaches Sonauto.
TEST(lifecycle, the_chosen_language_is_asked_for_in_the_prompt) {
  stack s({.song_seconds = 4, .speed = 4});
  json::object form{{"sender", "Ana"}, {"recipient", "Ben"}, {"story", story_with("en-francais")},
                    {"style", "chanson"}, {"language", "fr"}};
  const auto created = s.api("POST", "/api/submissions", json::serialize(form));
  ASSERT_EQ(created.status, 201u) << created.body;
  const auto task = s.task_for("en-francais");
  const auto generation = request(s.sim_port(), "GET", "/v1/generations/" + task,
                                  {{"Authorization", std::string("Bearer ") + test_api_key}});
  const std::string prompt(generation.json().at("prompt").as_string());
  EXPECT_NE(prompt.find("in the style of chanson, sung in French. Sing to Ben"), std::string::npos) << prompt;

  form["language"] = "tlh";
  const auto refused = s.api("POST", "/api/submissions", json::serialize(form));
  EXPECT_EQ(refused.status, 422u);
  EXPECT_EQ(refused.json().at("errors").at("language").as_string(), "Please choose one of the languages offered.");
  EXPECT_EQ(s.sim("GET", "/_sim/stats").json().at("creates").as_int64(), 1) << "a refused language reached Sonauto";
}

// "Write the lyrics yourself": the person's words go to Sonauto as its `lyrics`, are shown from the start, are sent
// again by a retry, and are refused with the field named when they cannot be sung.
TEST(lifecycle, own_lyrics_are_sent_with_the_prompt_shown_at_once_and_sent_again_on_retry) {
  stack s({.song_seconds = 4, .speed = 4, .ready_after = 1.5});
  const std::string words = "[Verse]\nUnder one umbrella, Lisbon in the rain,\nBen, you held my hand.";
  json::object form{{"sender", "Ana"}, {"recipient", "Ben"}, {"story", story_with("own-words")},
                    {"style", "bossa nova"}, {"lyrics", "  " + words + "\n"}};
  const auto created = s.api("POST", "/api/submissions", json::serialize(form));
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string session(created.json().at("session_id").as_string());
  EXPECT_EQ(s.api("GET", "/api/submissions/" + session).json().at("lyrics").as_string(), words);
  const auto task = s.task_for("own-words");
  s.wait_for_state(session, is_stream_ready);
  const auto generation = request(s.sim_port(), "GET", "/v1/generations/" + task,
                                  {{"Authorization", std::string("Bearer ") + test_api_key}});
  EXPECT_EQ(generation.json().at("lyrics").as_string(), words) << "Sonauto was not given the lyrics";
  EXPECT_NE(std::string(generation.json().at("prompt").as_string()).find("Ben"), std::string::npos);

  ASSERT_EQ(s.sim("POST", "/_sim/control", R"({"task_id":")" + task + R"(","fail_at":"PROMPT"})").status, 200u);
  s.wait_for_state(session, [](const json::object& o) { return o.at("phase").as_string() == "failed"; });
  ASSERT_EQ(s.api("POST", "/api/submissions/" + session + "/retry", "{}").status, 200u);
  s.wait_for_state(session, is_complete, 30s);
  const auto tasks = s.sim("GET", "/_sim/tasks").json();
  ASSERT_EQ(tasks.as_array().size(), 2u);
  for (const auto& t : tasks.as_array()) {
    const std::string id(t.at("task_id").as_string());
    const auto again = request(s.sim_port(), "GET", "/v1/generations/" + id,
                               {{"Authorization", std::string("Bearer ") + test_api_key}});
    EXPECT_EQ(again.json().at("lyrics").as_string(), words) << "generation " << id;
  }

  form["lyrics"] = "la la la";
  const auto refused = s.api("POST", "/api/submissions", json::serialize(form));
  EXPECT_EQ(refused.status, 422u);
  EXPECT_EQ(refused.json().at("errors").at("lyrics").as_string(), "Your lyric sheet needs at least 20 characters.");
  EXPECT_EQ(s.sim("GET", "/_sim/stats").json().at("creates").as_int64(), 2) << "refused lyrics reached Sonauto";
}

TEST(lifecycle, a_task_that_never_becomes_ready_is_failed_as_timed_out) {
  stack s({.extra_args = {"--never-ready"}}, {"--stall-timeout", "2"});
  const auto session = s.submit("never");
  auto done = s.wait_for_state(session, [](const json::object& o) { return o.at("phase").as_string() == "failed"; },
                               15s);
  EXPECT_EQ(done.at("error").as_string(), "The song took too long to be written. Please try again.");
}

TEST(lifecycle, a_key_revoked_mid_song_fails_it_through_the_stall_check) {
  stack s({.extra_args = {"--never-ready"}}, {"--stall-timeout", "2"});
  const auto session = s.submit("revoked");
  s.wait_for_state(session, [](const json::object& o) { return o.at("status").as_string() == "GENERATING"; });
  // Every status call is now refused with 401: the follower must not poll it for ever.
  ASSERT_EQ(s.sim("POST", "/_sim/control", R"({"api_key":"sksonauto_another_key_entirely"})").status, 200u);
  auto done = s.wait_for_state(session, [](const json::object& o) { return o.at("phase").as_string() == "failed"; },
                               15s);
  EXPECT_EQ(done.at("error").as_string(), "The music service stopped answering about this song. Please try again.");
  EXPECT_NE(s.server().log().find("event=generation_unreachable"), std::string::npos);
}

}  // namespace
}  // namespace serenade::testing

namespace serenade::testing {
namespace {

struct refusal_case {
  int upstream;
  unsigned status;
  std::string detail_fragment;
  std::int64_t attempts;  // create calls made before giving up
};

// Names the ctest case after the upstream status (gtest would print the struct's bytes, addresses included).
void PrintTo(const refusal_case& c, std::ostream* out) { *out << "upstream_" << c.upstream; }

class upstream_refusal : public ::testing::TestWithParam<refusal_case> {};

TEST_P(upstream_refusal, maps_to_an_honest_answer_without_the_key) {
  const auto& c = GetParam();
  stack s({.extra_args = {"--refuse-create", std::to_string(c.upstream)}});
  auto reply = s.api("POST", "/api/submissions", form_json("Ana", "Ben", story_with("refused"), "pop"));
  EXPECT_EQ(reply.status, c.status) << reply.body;
  EXPECT_EQ(reply.header("content-type"), "application/json");
  const std::string detail(reply.json().at("detail").as_string());
  EXPECT_NE(detail.find(c.detail_fragment), std::string::npos) << detail;
  const auto stats = s.sim("GET", "/_sim/stats").json().as_object();
  EXPECT_EQ(stats.at("creates").as_int64(), 0);
  EXPECT_EQ(stats.at("create_refusals").as_int64(), c.attempts) << "retries on a refusal that cannot change";
  EXPECT_EQ(reply.body.find(test_api_key), std::string::npos);
  EXPECT_EQ(s.server().log().find(test_api_key), std::string::npos);
  EXPECT_EQ(s.api("GET", "/api/stream/AAAAAAAAAAAAAAAAAAAAAA").status, 404u) << "nothing was stored";
}

INSTANTIATE_TEST_SUITE_P(
    lifecycle, upstream_refusal,
    ::testing::Values(refusal_case{401, 503, "misconfigured", 1}, refusal_case{402, 503, "out of credits", 1},
                      refusal_case{422, 422, "could not accept this story", 1},
                      refusal_case{429, 503, "busy", 3}, refusal_case{503, 503, "cannot be reached", 3},
                      // A server error may come after the generation was made: asking again could pay twice.
                      refusal_case{500, 503, "cannot be reached", 1}, refusal_case{502, 503, "cannot be reached", 1}));

TEST(lifecycle, a_momentary_upstream_error_is_retried_and_the_song_is_created) {
  stack s({.extra_args = {"--refuse-create", "503", "--refuse-create-times", "1"}});
  auto reply = s.api("POST", "/api/submissions", form_json("Ana", "Ben", story_with("retried-create"), "pop"));
  EXPECT_EQ(reply.status, 201u) << reply.body;
  EXPECT_EQ(s.sim("GET", "/_sim/stats").json().at("creates").as_int64(), 1);
}

}  // namespace
}  // namespace serenade::testing
