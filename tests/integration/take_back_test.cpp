// The person who made a song takes it back with the owner token the create answered: the link, the stream and the
// API answer 410 from then on, the files are gone, the story and the names are gone from the database, and a song
// still being made stops being followed. Without the token nothing changes.
#include "harness.hpp"
#include "store/submission_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace serenade::testing {
namespace {

struct made {
  std::string session;
  std::string owner_token;
};

made make_song(stack& s, const std::string& marker, const header_pairs& extra = {}) {
  header_pairs headers{{"Content-Type", "application/json"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  const auto reply = s.api("POST", "/api/submissions", form_json("Ana", "Ben", story_with(marker), "pop"), headers);
  if (reply.status != 201 && reply.status != 200) throw std::runtime_error("create answered " + reply.body);
  const auto body = reply.json().as_object();
  return {std::string(body.at("session_id").as_string()), std::string(body.at("owner_token").as_string())};
}

http_reply take_back(stack& s, const std::string& session, const std::string& token) {
  header_pairs headers;
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  return s.api("DELETE", "/api/submissions/" + session, "", headers);
}

std::vector<std::string> files_of(const std::string& folder, const std::string& session) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const auto name = entry.path().filename().string();
    if (name.starts_with(session)) found.push_back(name);
  }
  return found;
}

TEST(take_back, with_the_owner_token_the_song_is_gone_everywhere_and_without_it_nothing_changes) {
  stack s;
  const auto song = make_song(s, "taken-back");
  EXPECT_EQ(song.owner_token.size(), 64u);
  EXPECT_EQ(make_song(s, "taken-back-other").owner_token.size(), 64u);
  s.wait_for_state(song.session, is_complete, 30s);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", at_least(1), 30s);
  const auto archive = s.dir() + "/archive";
  ASSERT_FALSE(files_of(archive, song.session).empty()) << "nothing archived: nothing to test";

  for (const auto& wrong : {std::string(), std::string(64, '0'), make_song(s, "another").owner_token}) {
    const auto refused = take_back(s, song.session, wrong);
    EXPECT_EQ(refused.status, 403u) << refused.body;
    EXPECT_FALSE(std::string(refused.json().at("detail").as_string()).empty());
  }
  EXPECT_EQ(s.api("GET", "/api/submissions/" + song.session).json().at("recipient").as_string(), "Ben");
  EXPECT_EQ(s.api("GET", "/api/stream/" + song.session).status, 200u);
  // What is derived from the song is kept too: its download's tag and its share card.
  EXPECT_EQ(s.api("GET", "/api/stream/" + song.session + "/download").status, 200u);
  EXPECT_FALSE(files_of(archive + "/cards", song.session).empty());
  const auto nameless_card = s.api("GET", "/card.png");
  ASSERT_EQ(nameless_card.status, 200u);

  EXPECT_EQ(take_back(s, song.session, song.owner_token).status, 204u);
  for (const auto& target : {"/api/submissions/" + song.session, "/api/stream/" + song.session,
                             "/api/submissions/" + song.session + "/events",
                             "/api/stream/" + song.session + "/download"}) {
    const auto gone = s.api("GET", target);
    EXPECT_EQ(gone.status, 410u) << target;
    EXPECT_EQ(gone.json().at("detail").as_string(), "This song was deleted by the person who made it.") << target;
  }
  const auto link = s.api("GET", "/s/" + song.session);
  EXPECT_EQ(link.status, 410u);
  EXPECT_NE(link.body.find("This song is no longer here"), std::string::npos);
  EXPECT_EQ(link.body.find("Ben"), std::string::npos);
  EXPECT_NE(link.body.find(R"(<meta property="og:image" content="/card.png">)"), std::string::npos)
      << "a deleted song previews as the card that names nobody";
  EXPECT_EQ(s.api("POST", "/api/submissions/" + song.session + "/retry").status, 410u);
  EXPECT_EQ(take_back(s, song.session, song.owner_token).status, 410u) << "taken back twice";
  // Its card names nobody now; drawn on the thread that removed the song's kept cards, so they are gone by then.
  const auto card = s.api("GET", "/s/" + song.session + "/card.png");
  EXPECT_EQ(card.status, 200u);
  EXPECT_TRUE(card.body == nameless_card.body);
  EXPECT_TRUE(files_of(archive, song.session).empty());
  EXPECT_TRUE(files_of(archive + "/cards", song.session).empty());

  const auto store = store::open_store(s.database_url());
  const auto row = store->find(song.session);
  ASSERT_TRUE(row);
  EXPECT_TRUE(row->deleted_at);
  EXPECT_EQ(row->sender, "");
  EXPECT_EQ(row->recipient, "");
  EXPECT_EQ(row->story, "");
  EXPECT_EQ(row->prompt, "");
  EXPECT_FALSE(row->lyrics);
  EXPECT_EQ(s.metric("serenade_songs_taken_back_total"), 1u);
}

TEST(take_back, a_song_still_being_made_cuts_its_listeners_and_is_never_finished) {
  stack s({.song_seconds = 20, .speed = 1, .ready_after = 1});
  const auto song = make_song(s, "taken-back-live");
  auto listener = listen_live(s, song.session);
  EXPECT_EQ(take_back(s, song.session, song.owner_token).status, 204u);
  listener.read_to_end();
  EXPECT_FALSE(listener.ended_cleanly()) << "the listener heard the song to its end";
  // Sonauto's task is left to finish; nothing of it is kept.
  const auto task = s.task_for("taken-back-live");
  wait_until([&] { return s.sim("GET", "/_sim/tasks/" + task).json().at("status").as_string() == "SUCCESS"; },
             [] { return std::string("the task never finished"); }, 60s);
  EXPECT_NE(s.server().log().find("reason=taken_back"), std::string::npos) << "the follower went on";
  EXPECT_EQ(s.api("GET", "/api/submissions/" + song.session).status, 410u);
  EXPECT_EQ(s.metric("serenade_finalisations_total{outcome=\"ok\"}"), 0u);
  EXPECT_TRUE(files_of(s.dir() + "/archive", song.session).empty());
}

TEST(take_back, a_repeat_of_the_form_gets_the_same_owner_token) {
  stack s;
  const auto first = make_song(s, "repeated-form", {{"Idempotency-Key", "owner-token-repeat"}});
  const auto again = make_song(s, "repeated-form", {{"Idempotency-Key", "owner-token-repeat"}});
  EXPECT_EQ(again.session, first.session);
  EXPECT_EQ(again.owner_token, first.owner_token);
}

}  // namespace
}  // namespace serenade::testing
