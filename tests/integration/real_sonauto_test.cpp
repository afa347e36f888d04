// The real service's open questions (docs/sonauto-api.md), one simulator switch each: the stream that lags the
// ready status, the stream that ends without its final chunk or expires mid-read, a CDN file that is a separate,
// tagged encode, a rate-limited status endpoint, and webhook bodies of every shape. Serenade must turn each into
// a song that plays to its end for every listener and an archive that holds Sonauto's final file.
#include "archive/mp3_frames.hpp"
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <future>
#include <ostream>
#include <string>
#include <vector>

namespace serenade::testing {
namespace {

namespace json = boost::json;

json::object task_report(stack& s, const std::string& task) { return s.sim("GET", "/_sim/tasks/" + task).json().as_object(); }

// What a listener heard: the status, the body, and whether it ended with our final chunk.
struct heard {
  unsigned status = 0;
  std::string body;
  bool clean_end = false;
};

std::vector<heard> listen(stack& s, const std::string& session, int listeners) {
  std::vector<std::future<heard>> running;
  for (int i = 0; i < listeners; ++i) {
    running.push_back(std::async(std::launch::async, [&] {
      stream_reader reader(s.api_port(), "/api/stream/" + session, 60s);
      heard h{reader.status(), {}, false};
      if (h.status == 200) {
        h.body = reader.read_to_end();
        h.clean_end = reader.ended_cleanly();
      }
      return h;
    }));
  }
  std::vector<heard> out;
  for (auto& r : running) out.push_back(r.get());
  return out;
}

// Every listener got 200, the song's exact bytes, and our final chunk.
void expect_whole_song(const std::vector<heard>& listeners, const std::string& song) {
  for (const auto& h : listeners) {
    EXPECT_EQ(h.status, 200u);
    EXPECT_TRUE(h.clean_end) << "the listener was cut";
    EXPECT_TRUE(h.body == song) << h.body.size() << " of " << song.size() << " bytes";
  }
}

TEST(real_sonauto, a_stream_that_lags_the_ready_status_is_waited_for_and_plays_whole) {
  stack s({.song_seconds = 4, .speed = 2, .extra_args = {"--ready-race", "1.5"}});
  const auto session = s.submit("race");
  s.wait_for_state(session, is_stream_ready);
  const auto task = s.task_for("race");
  expect_whole_song(listen(s, session, 3), s.simulator_audio(task));
  const auto report = task_report(s, task);
  EXPECT_GE(report.at("stream_not_ready").as_int64(), 1) << "the race never happened: the test proves nothing";
  EXPECT_EQ(report.at("stream_connections_total").as_int64(), 1);
}

TEST(real_sonauto, a_stream_that_closes_without_its_final_chunk_is_a_complete_song) {
  stack s({.song_seconds = 4, .speed = 2, .extra_args = {"--stream-end", "close"}});
  const auto session = s.submit("close");
  s.wait_for_state(session, is_stream_ready);
  const auto task = s.task_for("close");
  expect_whole_song(listen(s, session, 5), s.simulator_audio(task));
  EXPECT_GE(task_report(s, task).at("stream_unframed_ends").as_int64(), 1);
  EXPECT_EQ(s.metric("serenade_capture_ends_total{end=\"cut_after_generation\"}"), 1u);
  EXPECT_EQ(s.metric("serenade_listeners_ended_total{outcome=\"upstream_failed\"}"), 0u);
}

// Expiry at SUCCESS cuts the open connection before the last seconds were sent: listeners end cleanly on the
// frames that came, and the archive ends up with Sonauto's final file.
TEST(real_sonauto, a_stream_that_expires_mid_read_ends_cleanly_and_the_final_file_is_archived) {
  stack s({.song_seconds = 6, .speed = 3, .extra_args = {"--stream-end", "expire-early", "--final-encode", "different"}});
  const auto session = s.submit("expire");
  s.wait_for_state(session, is_stream_ready);
  const auto task = s.task_for("expire");
  const auto stream_audio = s.simulator_audio(task);
  for (const auto& h : listen(s, session, 5)) {
    EXPECT_EQ(h.status, 200u);
    EXPECT_TRUE(h.clean_end);
    ASSERT_FALSE(h.body.empty());
    EXPECT_LT(h.body.size(), stream_audio.size()) << "the expiry did not cut the stream: the test proves nothing";
    EXPECT_TRUE(stream_audio.compare(0, h.body.size(), h.body) == 0) << "not a prefix of the stream";
    const auto scan = archive::scan_mp3(bytes_of(h.body));
    EXPECT_GT(scan.frames, 0u);
    EXPECT_TRUE(scan.complete) << "the cut song does not end on a whole frame: " << scan.problem;
  }
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1), 30s);
  const auto final_file = s.sim("GET", "/_sim/tasks/" + task + "/final").body;
  const auto archived = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(archived.status, 200u);
  EXPECT_TRUE(archived.body == final_file) << "the archive is not Sonauto's final file";
  EXPECT_EQ(s.metric("serenade_capture_ends_total{end=\"cut_after_generation\"}") +
                s.metric("serenade_capture_ends_total{end=\"expired\"}"),
            1u);
}

// A reconnect whose replay is another encode is spliced at a frame: every listener hears the first encode's
// frames up to the cut, then the second's from the same moment, as one unbroken run of frames, to a clean end.
TEST(real_sonauto, a_replay_in_another_encode_is_spliced_at_a_frame_and_nobody_is_cut) {
  stack s({.song_seconds = 8, .speed = 2, .ready_after = 1, .extra_args = {"--replay", "reencoded"}});
  const auto session = s.submit("reencoded");
  const auto task = s.task_for("reencoded");
  json::object drop{{"task_id", task}, {"drop_after_bytes", 90000}};
  ASSERT_EQ(s.sim("POST", "/_sim/control", json::serialize(drop)).status, 200u);
  s.wait_for_state(session, is_stream_ready);
  const auto heard = listen(s, session, 5);
  const auto first = s.simulator_audio(task);
  const auto second = s.sim("GET", "/_sim/tasks/" + task + "/reencoded").body;
  ASSERT_FALSE(second.empty());
  const auto frames_of = [](const std::string& bytes) { return archive::scan_mp3(bytes_of(bytes)).frames; };
  for (const auto& h : heard) {
    EXPECT_EQ(h.status, 200u);
    EXPECT_TRUE(h.clean_end) << "a listener was cut";
    const auto scan = archive::scan_mp3(bytes_of(h.body));
    EXPECT_TRUE(scan.complete) << scan.problem;
    EXPECT_TRUE(first.compare(0, 60000, h.body, 0, 60000) == 0) << "the beginning is not the first encode";
    EXPECT_TRUE(second.compare(second.size() - 20000, 20000, h.body, h.body.size() - 20000, 20000) == 0)
        << "the end is not the second encode";
    EXPECT_EQ(scan.frames, frames_of(second)) << "frames were lost or repeated at the splice";
  }
  EXPECT_EQ(s.metric("serenade_replay_splices_total"), 1u);
  EXPECT_EQ(s.metric("serenade_listeners_ended_total{outcome=\"upstream_failed\"}"), 0u);
}

// The CDN file is a separate 192 kbit/s encode with ID3v2, an Info frame and ID3v1: accepted as it is.
TEST(real_sonauto, a_tagged_final_file_from_another_encode_is_accepted_as_the_song) {
  stack s({.song_seconds = 4, .speed = 4, .expire_after = 0.5, .extra_args = {"--final-encode", "different"}});
  const auto session = s.submit("tagged");
  s.wait_for_state(session, is_complete);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1));
  const auto task = s.task_for("tagged");
  const auto final_file = s.sim("GET", "/_sim/tasks/" + task + "/final").body;
  ASSERT_EQ(final_file.compare(0, 3, "ID3"), 0);
  ASSERT_EQ(final_file.compare(final_file.size() - 128, 3, "TAG"), 0);
  EXPECT_FALSE(final_file == s.simulator_audio(task));
  const auto archived = s.api("GET", "/api/stream/" + session);
  EXPECT_TRUE(archived.body == final_file);
  EXPECT_EQ(s.metric("serenade_final_copy_given_up_total"), 0u);
}

// The final copy (another encode) replaces the live copy while a player reads the song by ranges: the copy's
// own URL (Content-Location, ?v=) keeps answering the bytes it started with, the song's URL moves on to the final
// copy, and a Range that names the old copy with If-Range gets the whole new file, never a piece of it.
TEST(real_sonauto, each_copy_keeps_its_own_url_when_the_final_copy_replaces_the_live_one) {
  stack s({.song_seconds = 4, .speed = 4, .extra_args = {"--final-encode", "different"}}, {"--final-retry-ms", "100"});
  const auto session = s.submit("copies");
  const auto task = s.task_for("copies");
  ASSERT_EQ(s.sim("POST", "/_sim/control", json::serialize(json::object{{"task_id", task}, {"refuse_cdn", 500}})).status,
            200u);
  s.wait_for_state(session, is_complete);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"failed\"}", at_least(1));
  const auto stream_audio = s.simulator_audio(task);
  const auto song_url = "/api/stream/" + session;

  const auto live = s.api("HEAD", song_url);
  ASSERT_EQ(live.status, 200u);
  ASSERT_EQ(live.header("accept-ranges"), "bytes") << "the live copy is not served as a file yet";
  const auto live_etag = live.header("etag");
  const auto live_url = live.header("content-location");
  ASSERT_EQ(live_url, song_url + "?v=" + live_etag.substr(1, live_etag.size() - 2));
  const auto live_piece = s.api("GET", live_url, "", {{"Range", "bytes=1000-8999"}});
  ASSERT_EQ(live_piece.status, 206u);
  EXPECT_TRUE(live_piece.body == stream_audio.substr(1000, 8000));

  // The CDN answers again: the final copy is fetched and becomes the song.
  ASSERT_EQ(s.sim("POST", "/_sim/control", json::serialize(json::object{{"task_id", task}, {"refuse_cdn", 0}})).status,
            200u);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1), 30s);
  const auto final_file = s.sim("GET", "/_sim/tasks/" + task + "/final").body;
  ASSERT_FALSE(final_file.compare(1000, 8000, stream_audio, 1000, 8000) == 0) << "the encodes do not differ";

  const auto now = s.api("GET", song_url);
  EXPECT_TRUE(now.body == final_file);
  EXPECT_NE(now.header("etag"), live_etag);
  const auto final_etag = now.header("etag");
  EXPECT_EQ(now.header("content-location"), song_url + "?v=" + final_etag.substr(1, final_etag.size() - 2));

  const auto still_live = s.api("GET", live_url, "", {{"Range", "bytes=20000-29999"}});
  EXPECT_EQ(still_live.status, 206u);
  EXPECT_TRUE(still_live.body == stream_audio.substr(20000, 10000)) << "the live copy's URL gave other bytes";
  EXPECT_EQ(still_live.header("content-location"), "");

  const auto stale_range = s.api("GET", song_url, "", {{"Range", "bytes=20000-29999"}, {"If-Range", live_etag}});
  EXPECT_EQ(stale_range.status, 200u);
  EXPECT_TRUE(stale_range.body == final_file) << "a range of the old copy's validator got a piece of the new one";

  const auto unknown = s.api("GET", song_url + "?v=0123abcd");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(unknown.json().at("detail").as_string(),
            "This copy of the song is no longer kept. Load the song again from its stream URL.");
  EXPECT_EQ(s.api("GET", "/api/stream/" + std::string(43, 'x') + "?v=" + live_etag.substr(1, live_etag.size() - 2)).status,
            404u);
}

TEST(real_sonauto, a_rate_limited_status_endpoint_still_brings_the_song_home) {
  stack s({.song_seconds = 4, .speed = 2, .extra_args = {"--status-429-every", "2"}});
  const auto session = s.submit("limited");
  s.wait_for_state(session, is_complete, 60s);
  const auto stats = s.sim("GET", "/_sim/stats").json().as_object();
  EXPECT_GE(stats.at("status_429s").as_int64(), 1) << "no 429 was answered: the test proves nothing";
}

// Sonauto's balance is checked at start-up: once it cannot pay for a song, the next one is refused with an honest
// 503 before Sonauto is asked (and would answer 402); the log warns while it runs low.
TEST(real_sonauto, songs_the_credit_balance_cannot_pay_for_are_refused_before_sonauto_is_asked) {
  stack s({.extra_args = {"--credits", "250"}}, {"--credits-warn-below", "1000"});
  // The gauge appears once the first check has answered.
  wait_until([&] { return metric_value(s.api("GET", "/metrics").body, "serenade_sonauto_credits") == 250u; },
             [] { return std::string("the balance was never checked"); });
  s.submit("paid-1");
  s.submit("paid-2");
  EXPECT_EQ(s.metric("serenade_sonauto_credits"), 50u);
  const auto refused = s.api("POST", "/api/submissions", form_json("Ana", "Ben", story_with("unpaid"), "pop"));
  EXPECT_EQ(refused.status, 503u) << refused.body;
  EXPECT_EQ(refused.json().at("detail").as_string(), "The song service is out of credits. Please try again later.");
  const auto stats = s.sim("GET", "/_sim/stats").json().as_object();
  EXPECT_EQ(stats.at("creates").as_int64(), 2);
  EXPECT_EQ(stats.at("credits").as_int64(), 50);
  EXPECT_EQ(s.metric("serenade_submissions_refused_total{guard=\"credits\"}"), 1u);
  EXPECT_NE(s.server().log().find("event=credits_low"), std::string::npos);
}

// Every shape of webhook body brings the song through readiness to SUCCESS, with the fallback polling ten minutes
// away once webhooks are seen; no webhook is refused.
class webhook_payloads : public ::testing::TestWithParam<std::string> {};

TEST_P(webhook_payloads, bring_the_song_to_its_end) {
  const auto port = free_loopback_port();
  stack s({.ready_after = 1, .extra_args = {"--webhook-payload", GetParam()}},
          {"--listen", "127.0.0.1:" + std::to_string(port), "--public-url", "http://127.0.0.1:" + std::to_string(port),
           "--webhook-token", "hook-secret-0123456789-ABCDEFGHIJ-klmnop", "--webhook-poll-interval-ms", "600000"});
  const auto session = s.submit("shape");
  s.wait_for_state(session, [](const json::object& o) { return o.at("status").as_string() == "SUCCESS"; }, 30s);
  const auto task = s.task_for("shape");
  const auto report = task_report(s, task);
  EXPECT_GE(report.at("webhooks_sent").as_int64(), 1);
  const auto metrics = s.api("GET", "/metrics").body;
  const auto hinted = metric_value(metrics, "serenade_webhooks_total{outcome=\"accepted\"}").value_or(0) +
                      metric_value(metrics, "serenade_webhooks_total{outcome=\"without_task\"}").value_or(0) +
                      metric_value(metrics, "serenade_webhooks_total{outcome=\"unknown_task\"}").value_or(0);
  EXPECT_GE(hinted, 1u) << metrics;
  EXPECT_NE(s.server().log().find("status=SUCCESS"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(real_sonauto, webhook_payloads,
                         ::testing::Values("flat", "nested", "completion-only", "no-task-id"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (auto& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

// Every combination of the open questions that shape one song's stream, one song each, all at once on one
// server: a replay after a cut that is identical or another encode, each way the stream can end, a stream that
// lags the ready status or not, each shape of webhook. Five listeners per song: each gets 200 and whole MP3
// frames to a clean end, and every song's archive ends up as Sonauto's final file.
struct combination {
  std::string replay;
  std::string stream_end;
  double ready_race;
  std::string webhook_payload;
  std::string session;
  std::string task;
};

std::vector<combination> every_combination() {
  std::vector<combination> all;
  for (const char* replay : {"identical", "reencoded"}) {
    for (const char* end : {"final-chunk", "close", "expire-early"}) {
      for (double race : {0.0, 1.0}) {
        for (const char* payload : {"flat", "nested", "completion-only", "no-task-id"}) {
          all.push_back({replay, end, race, payload, {}, {}});
        }
      }
    }
  }
  return all;
}

std::string describe(const combination& c) {
  return "replay " + c.replay + ", end " + c.stream_end + ", race " + std::to_string(c.ready_race) + ", webhook " +
         c.webhook_payload;
}

TEST(real_sonauto, every_combination_of_the_open_questions_plays_and_archives_the_final_file) {
  auto songs = every_combination();
  const auto many = std::to_string(songs.size() * 10);
  const auto port = free_loopback_port();
  // Generated for about 8 s after it can stream: the cut after 30,000 bytes (the replay's first burst, a second
  // or two of audio) comes while Sonauto still sings, with or without the race, even on a slow machine.
  stack s({.song_seconds = 12, .speed = 1.5, .ready_after = 1},
          {"--listen", "127.0.0.1:" + std::to_string(port), "--public-url", "http://127.0.0.1:" + std::to_string(port),
           "--webhook-token", "hook-secret-0123456789-ABCDEFGHIJ-klmnop", "--webhook-poll-interval-ms", "600000",
           "--max-generating", many, "--daily-budget", many, "--max-streams-per-client", many,
           "--max-connections-per-client", many, "--submit-burst", "0", "--submits-per-hour", "0",
           "--client-daily-limit", "0", "--network-daily-limit", "0"});
  for (std::size_t i = 0; i < songs.size(); ++i) {
    auto& c = songs[i];
    const auto marker = "combination-" + std::to_string(i);
    c.session = s.submit(marker);
    c.task = s.task_for(marker);
    // Set before the song can stream (ready_after): a cut after 30,000 bytes makes every song replay.
    json::object faults{{"task_id", c.task},           {"replay", c.replay},
                        {"stream_end", c.stream_end},  {"ready_race", c.ready_race},
                        {"webhook_payload", c.webhook_payload}, {"drop_after_bytes", 30000}};
    ASSERT_EQ(s.sim("POST", "/_sim/control", json::serialize(faults)).status, 200u) << describe(c);
  }
  std::vector<std::future<std::vector<heard>>> listening;
  for (const auto& c : songs) {
    listening.push_back(std::async(std::launch::async, [&s, &c] {
      s.wait_for_state(c.session, is_stream_ready, 60s);
      return listen(s, c.session, 5);
    }));
  }
  for (std::size_t i = 0; i < songs.size(); ++i) {
    const auto& c = songs[i];
    for (const auto& h : listening[i].get()) {
      EXPECT_EQ(h.status, 200u) << describe(c);
      EXPECT_TRUE(h.clean_end) << describe(c) << ": a listener was cut";
      const auto scan = archive::scan_mp3(bytes_of(h.body));
      EXPECT_GT(scan.frames, 0u) << describe(c);
      EXPECT_TRUE(scan.complete) << describe(c) << ": " << scan.problem;
    }
  }
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(songs.size()), 90s);
  for (const auto& c : songs) {
    EXPECT_TRUE(s.api("GET", "/api/stream/" + c.session).body == s.simulator_final(c.task)) << describe(c);
    EXPECT_GE(task_report(s, c.task).at("stream_connections_total").as_int64(), 2) << describe(c) << ": no replay";
  }
  EXPECT_EQ(s.metric("serenade_listeners_ended_total{outcome=\"upstream_failed\"}"), 0u);
}

}  // namespace
}  // namespace serenade::testing
