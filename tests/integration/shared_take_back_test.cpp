// A song taken back through an instance that does not own it, two instances sharing one PostgreSQL database and
// one archive folder (each capturing into a folder of its own): the delete answers 204 there, the owner learns it
// from the database at once (its change feed), cuts its listeners and lets the song go, the files are gone from
// every folder, every route of both instances answers 410, and the row keeps neither the story nor the names.
#include "harness.hpp"
#include "store/submission_store.hpp"
#include "store/testing/postgres_database.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace serenade::testing {
namespace {

namespace fs = std::filesystem;

// The shared archive and each instance's own capture folder.
struct folders {
  std::string archive = make_temp_dir();
  std::string captures_a = make_temp_dir();
  std::string captures_b = make_temp_dir();
  ~folders() {
    for (const auto& dir : {archive, captures_a, captures_b}) fs::remove_all(dir);
  }
};

struct made {
  std::string session;
  std::string owner_token;
};

made make_song(std::uint16_t port, const std::string& marker) {
  const auto reply = request(port, "POST", "/api/submissions", {{"Content-Type", "application/json"}},
                             form_json("Ana", "Ben", story_with(marker), "pop"));
  if (reply.status != 201) throw std::runtime_error("create answered " + reply.body);
  const auto body = reply.json().as_object();
  return {std::string(body.at("session_id").as_string()), std::string(body.at("owner_token").as_string())};
}

http_reply take_back(std::uint16_t port, const made& song) {
  return request(port, "DELETE", "/api/submissions/" + song.session, {{"Authorization", "Bearer " + song.owner_token}});
}

// Files of the song in `folder`: `<id>.*` (a capture, the live and final copies, a download tag, a temporary).
std::vector<std::string> files_of(const std::string& folder, const std::string& session) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const auto name = entry.path().filename().string();
    if (name.starts_with(session)) found.push_back(name);
  }
  return found;
}

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += name + " ";
  return out.empty() ? "none" : out;
}

// Log lines of one event about one song.
std::size_t lines_about(const std::string& log, const std::string& event, const std::string& session) {
  std::istringstream lines(log);
  std::size_t found = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(event) != std::string::npos && line.find(session) != std::string::npos) ++found;
  }
  return found;
}

// Waits until every folder holds no file of the song.
void wait_until_no_files(const std::vector<std::string>& dirs, const std::string& session) {
  std::string last;
  wait_until(
      [&] {
        last.clear();
        for (const auto& dir : dirs) {
          for (const auto& name : files_of(dir, session)) last += dir + "/" + name + " ";
        }
        return last.empty();
      },
      [&] { return "the song's files are still there: " + last; });
}

// Waits until every target answers 410 on the instance on `port`: an instance that still served the song from
// something it keeps (an open finished copy, a live hub) would answer 200 there.
void wait_until_gone(std::uint16_t port, const std::vector<std::string>& targets) {
  for (const auto& target : targets) {
    unsigned last = 0;
    wait_until(
        [&] {
          last = request(port, "GET", target).status;
          return last == 410;
        },
        [&] { return "GET " + target + " on port " + std::to_string(port) + " answered " + std::to_string(last); });
  }
}

std::vector<std::string> song_targets(const std::string& session) {
  return {"/api/submissions/" + session, "/api/stream/" + session, "/s/" + session,
          "/api/submissions/" + session + "/events", "/api/stream/" + session + "/download"};
}

void expect_tombstone(const std::string& database_url, const std::string& session) {
  const auto store = store::open_store(database_url);
  const auto row = store->find(session);
  ASSERT_TRUE(row);
  EXPECT_TRUE(row->deleted_at);
  EXPECT_EQ(row->sender, "");
  EXPECT_EQ(row->recipient, "");
  EXPECT_EQ(row->story, "");
  EXPECT_EQ(row->prompt, "");
  EXPECT_FALSE(row->lyrics);
  EXPECT_FALSE(row->archive);
  EXPECT_FALSE(row->owner) << "a tombstone is nobody's work";
}

TEST(shared_take_back, a_song_being_made_taken_back_through_another_instance_is_cut_and_let_go_by_its_owner) {
  store::postgres_database db;
  folders dirs;
  // Sung in real time for longer than any wait below: the owner's listener could only end cleanly if the owner
  // went on with the song.
  stack s({.song_seconds = 20, .speed = 1, .ready_after = 1},
          {"--database", db.url(), "--lease-seconds", "3", "--archive-dir", dirs.archive, "--capture-dir",
           dirs.captures_a});
  auto other = s.start_instance("b", {"--capture-dir", dirs.captures_b});
  const auto song = make_song(s.api_port(), "taken-back-elsewhere-live");
  auto listener = listen_live(s, song.session);
  // A listener of the other instance, relayed from the owner.
  stream_reader relayed(other.port, "/api/stream/" + song.session, 60s);
  ASSERT_EQ(relayed.status(), 200u);
  relayed.read_at_least(1);
  // The instance the song was made on follows and captures it; the other does neither.
  EXPECT_GT(lines_about(s.server().log(), "status_changed", song.session), 0u);
  EXPECT_EQ(lines_about(other.server->log(), "status_changed", song.session), 0u) << "followed by the other";
  ASSERT_FALSE(files_of(dirs.captures_a, song.session).empty()) << "the owner captures nothing: nothing to test";

  const auto deleted = take_back(other.port, song);
  EXPECT_EQ(deleted.status, 204u) << deleted.body;
  s.server().wait_for_line({"event=song_let_go", song.session, "reason=taken_back"}, 20s);
  listener.read_to_end();
  EXPECT_FALSE(listener.ended_cleanly()) << "the owner's listener heard the song to its end";
  relayed.read_to_end();
  EXPECT_FALSE(relayed.ended_cleanly()) << "the relayed listener heard the song to its end";
  for (const auto port : {s.api_port(), other.port}) wait_until_gone(port, song_targets(song.session));
  wait_until_no_files({dirs.archive, dirs.archive + "/cards", dirs.captures_a, dirs.captures_b}, song.session);
  expect_tombstone(db.url(), song.session);

  // Sonauto's task is left to finish; neither instance keeps anything of it.
  const auto task = s.task_for("taken-back-elsewhere-live");
  wait_until([&] { return s.sim("GET", "/_sim/tasks/" + task).json().at("status").as_string() == "SUCCESS"; },
             [] { return std::string("the task never finished"); }, 60s);
  for (const auto port : {s.api_port(), other.port}) {
    EXPECT_EQ(metric_at(port, "serenade_finalisations_total{outcome=\"ok\"}"), 0u) << port;
    EXPECT_EQ(metric_at(port, "serenade_songs_taken_over_total"), 0u) << port;
    wait_until_gone(port, song_targets(song.session));
  }
  EXPECT_EQ(metric_at(other.port, "serenade_songs_taken_back_total"), 1u);
  EXPECT_EQ(metric_at(s.api_port(), "serenade_songs_taken_back_total"), 0u) << "counted where it was not deleted";
  for (const auto& dir : {dirs.archive, dirs.captures_a, dirs.captures_b}) {
    EXPECT_TRUE(files_of(dir, song.session).empty()) << dir << ": " << listed(files_of(dir, song.session));
  }
}

TEST(shared_take_back, a_finished_song_taken_back_through_another_instance_is_served_by_neither) {
  store::postgres_database db;
  folders dirs;
  stack s({.song_seconds = 4, .speed = 4, .expire_after = 0.5},
          {"--database", db.url(), "--lease-seconds", "3", "--archive-dir", dirs.archive, "--capture-dir",
           dirs.captures_a});
  auto other = s.start_instance("b", {"--capture-dir", dirs.captures_b});
  const auto song = make_song(s.api_port(), "taken-back-elsewhere-finished");
  s.wait_for_state(song.session, is_complete, 30s);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1), 30s);
  EXPECT_EQ(lines_about(other.server->log(), "status_changed", song.session), 0u) << "followed by the other";
  // Both instances serve the final copy and keep it open (api/finished_songs); the owner draws its card.
  const auto from_owner = s.api("GET", "/api/stream/" + song.session);
  ASSERT_EQ(from_owner.status, 200u);
  const auto pinned = from_owner.header("content-location");
  ASSERT_FALSE(pinned.empty());
  const auto pinned_target = pinned.substr(pinned.find("/api/stream/"));
  ASSERT_EQ(s.api("GET", pinned_target).status, 200u);
  ASSERT_EQ(request(other.port, "GET", "/api/stream/" + song.session).status, 200u);
  ASSERT_EQ(s.api("GET", "/s/" + song.session + "/card.png").status, 200u);
  ASSERT_FALSE(files_of(dirs.archive, song.session).empty()) << "nothing archived: nothing to test";
  ASSERT_FALSE(files_of(dirs.archive + "/cards", song.session).empty()) << "no card kept: nothing to test";

  const auto deleted = take_back(other.port, song);
  EXPECT_EQ(deleted.status, 204u) << deleted.body;
  // The owner hears of it from the database and forgets the copy it keeps open.
  s.server().wait_for_line({"event=song_let_go", song.session, "reason=taken_back"}, 20s);
  auto targets = song_targets(song.session);
  targets.push_back(pinned_target);
  for (const auto port : {s.api_port(), other.port}) wait_until_gone(port, targets);
  const auto ranged = s.api("GET", "/api/stream/" + song.session, "", {{"Range", "bytes=100-199"}});
  EXPECT_EQ(ranged.status, 410u);
  wait_until_no_files({dirs.archive, dirs.archive + "/cards", dirs.captures_a, dirs.captures_b}, song.session);
  expect_tombstone(db.url(), song.session);
  EXPECT_EQ(metric_at(other.port, "serenade_songs_taken_back_total"), 1u);
  EXPECT_EQ(metric_at(s.api_port(), "serenade_songs_taken_back_total"), 0u);
}

}  // namespace
}  // namespace serenade::testing
