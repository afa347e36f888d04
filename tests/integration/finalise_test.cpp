// Finalisation: after SUCCESS the CDN copy is fetched, verified, renamed into place and recorded; a bad or
// missing CDN copy is refused and retried while the live capture keeps the song playing, until the CDN says the
// file is gone or the retry limit is reached.
#include "harness.hpp"

#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <openssl/evp.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace serenade::testing {
namespace {

namespace json = boost::json;


std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  std::string out;
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

TEST(finalise, the_verified_cdn_copy_is_served_for_good) {
  stack s({.song_seconds = 4, .speed = 4, .expire_after = 0.5});
  const auto session = s.submit("final");
  s.wait_for_state(session, is_complete);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1));
  const auto song = s.simulator_final(s.task_for("final"));
  EXPECT_TRUE(std::filesystem::exists(s.dir() + "/archive/" + session + ".mp3"));
  for (const auto& entry : std::filesystem::directory_iterator(s.dir() + "/archive")) {
    EXPECT_FALSE(entry.path().string().ends_with(".tmp")) << entry.path() << " left behind";
  }

  auto reply = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.body == song);
  EXPECT_EQ(reply.header("etag"), "\"" + sha256_hex(song) + "\"");
  EXPECT_EQ(reply.header("cache-control"), "private, max-age=31536000, immutable");
  EXPECT_EQ(reply.header("accept-ranges"), "bytes");
}

TEST(finalise, after_the_cdn_deleted_the_file_the_song_still_plays) {
  stack s({.song_seconds = 4, .speed = 4, .expire_after = 0.2, .extra_args = {"--delete-cdn-after", "1"}});
  const auto session = s.submit("cdn-gone");
  s.wait_for_state(session, is_complete);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1));
  const auto task = s.task_for("cdn-gone");
  // Both of Sonauto's copies are gone...
  wait_until([&] { return s.sim("GET", "/cdn/" + task + ".mp3").status == 404; },
             [] { return std::string("the CDN copy never went away"); });
  // ...and Serenade still has the song, byte for byte, with seeking.
  auto reply = s.api("GET", "/api/stream/" + session, {}, {{"Range", "bytes=100-199"}});
  EXPECT_EQ(reply.status, 206u);
  EXPECT_EQ(reply.body, s.simulator_final(task).substr(100, 100));
}

// One way the CDN copy goes bad: the simulator flags that cause it.
struct bad_cdn_case {
  std::vector<std::string> flags;
};

// Names the ctest case after the flags ("refuse_cdn_403"): gtest would print the vector with its quotes.
void PrintTo(const bad_cdn_case& c, std::ostream* out) {
  std::string name;
  for (const auto& flag : c.flags) {
    if (!name.empty()) name += '_';
    for (char ch : flag.substr(flag.starts_with("--") ? 2 : 0)) name += ch == '-' ? '_' : ch;
  }
  *out << name;
}

class bad_cdn : public ::testing::TestWithParam<bad_cdn_case> {};

TEST_P(bad_cdn, is_refused_and_retried_while_the_live_capture_plays) {
  sim_settings settings{.song_seconds = 4, .speed = 4, .expire_after = 0.2, .extra_args = GetParam().flags};
  stack s(settings, {"--final-retry-ms", "100"});
  const auto session = s.submit("bad-cdn");
  s.wait_for_state(session, is_complete);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"failed\"}", at_least(1));
  s.wait_for_metric("serenade_captures_completed_total", exactly(1));
  EXPECT_EQ(s.metric("serenade_finalisations_total{outcome=\"ok\"}"), 0u) << "a bad CDN copy was accepted";
  EXPECT_FALSE(std::filesystem::exists(s.dir() + "/archive/" + session + ".mp3")) << "a bad copy has a final name";
  auto reply = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.body == s.simulator_audio(s.task_for("bad-cdn")));
}

INSTANTIATE_TEST_SUITE_P(finalise, bad_cdn,
                         ::testing::Values(bad_cdn_case{{"--corrupt-cdn"}}, bad_cdn_case{{"--refuse-cdn", "403"}},
                                           bad_cdn_case{{"--truncate-cdn"}}));

std::uint64_t cdn_requests(stack& s, const std::string& task) {
  return s.sim("GET", "/_sim/tasks/" + task).json().at("cdn_requests").to_number<std::uint64_t>();
}

// A CDN that says the file does not exist is believed: one request, then the song keeps its live copy for good.
class cdn_file_gone : public ::testing::TestWithParam<std::string> {};

TEST_P(cdn_file_gone, is_asked_once_and_the_live_copy_stays_the_song) {
  stack s({.song_seconds = 4, .speed = 4, .expire_after = 0.2, .extra_args = {"--refuse-cdn", GetParam()}},
          {"--final-retry-ms", "10"});
  const auto session = s.submit("gone");
  s.wait_for_state(session, is_complete);
  s.wait_for_metric("serenade_final_copy_given_up_total", exactly(1));
  const auto task = s.task_for("gone");
  EXPECT_EQ(cdn_requests(s, task), 1u);
  EXPECT_EQ(s.metric("serenade_finalisations_total{outcome=\"failed\"}"), 1u);
  EXPECT_EQ(s.metric("serenade_finalisations_total{outcome=\"ok\"}"), 0u);
  // Given up for good: a restart does not look for the copy again.
  EXPECT_TRUE(store::sqlite_store(s.dir() + "/serenade.db").awaiting_final_copy().empty());

  auto reply = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.body == s.simulator_audio(task));
  EXPECT_EQ(reply.header("cache-control"), "no-cache") << "the live copy is not the verified final one";
}

INSTANTIATE_TEST_SUITE_P(finalise, cdn_file_gone, ::testing::Values("404", "410"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return "http_" + info.param; });

TEST(finalise, a_copy_that_keeps_failing_is_given_up_after_the_retry_limit) {
  stack s({.song_seconds = 4, .speed = 4, .expire_after = 0.2, .extra_args = {"--refuse-cdn", "503"}},
          {"--final-retry-ms", "10", "--final-retry-limit", "3"});
  const auto session = s.submit("limit");
  s.wait_for_state(session, is_complete);
  s.wait_for_metric("serenade_final_copy_given_up_total", exactly(1));
  EXPECT_EQ(cdn_requests(s, s.task_for("limit")), 3u);
  EXPECT_EQ(s.metric("serenade_finalisations_total{outcome=\"failed\"}"), 3u);
  EXPECT_TRUE(store::sqlite_store(s.dir() + "/serenade.db").awaiting_final_copy().empty());
  EXPECT_EQ(s.api("GET", "/api/stream/" + session).status, 200u);
}

}  // namespace
}  // namespace serenade::testing
