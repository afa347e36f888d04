// Several instances sharing one archive folder (a shared file system), each capturing into a folder of its own:
// a song finished by its owner is served by any of them from the shared folder, also once the owner is gone.
#include "harness.hpp"
#include "store/testing/postgres_database.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

namespace serenade::testing {
namespace {

namespace fs = std::filesystem;

// A folder on another file system than make_temp_dir's where the machine has one (/dev/shm), so that the complete
// capture has to be copied into the archive folder rather than linked.
std::string folder_on_another_file_system() {
  std::string pattern = "/dev/shm/serenade-test-XXXXXX";
  return ::mkdtemp(pattern.data()) ? pattern : make_temp_dir();
}

// Folders the stack does not make: the shared archive and each instance's capture folder.
struct folders {
  std::string archive = make_temp_dir();
  std::string captures_a = folder_on_another_file_system();
  std::string captures_b = make_temp_dir();
  ~folders() {
    for (const auto& dir : {archive, captures_a, captures_b}) fs::remove_all(dir);
  }
};

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  return names;
}

TEST(shared_archive, a_song_finished_by_an_instance_killed_since_is_served_by_another_from_the_shared_folder) {
  store::postgres_database db;
  folders dirs;
  stack s({.song_seconds = 4, .speed = 4, .expire_after = 0.5},
          {"--database", db.url(), "--lease-seconds", "3", "--archive-dir", dirs.archive, "--capture-dir",
           dirs.captures_a});
  auto other = s.start_instance("b", {"--capture-dir", dirs.captures_b});
  const auto session = s.submit("shared-folder");
  s.wait_for_state(session, is_complete);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1));
  const auto task = s.task_for("shared-folder");
  const auto final_copy = s.simulator_final(task);
  const auto from_owner = s.api("GET", "/api/stream/" + session);
  ASSERT_EQ(from_owner.status, 200u);
  ASSERT_TRUE(from_owner.body == final_copy);
  // The capture grew in the owner's own folder and left it once kept in the archive.
  EXPECT_TRUE(files_in(dirs.captures_a).empty());
  for (const auto& name : files_in(dirs.archive)) EXPECT_FALSE(name.ends_with(".tmp")) << name << " left behind";
  EXPECT_TRUE(fs::exists(dirs.archive + "/" + session + ".mp3"));
  EXPECT_TRUE(fs::exists(dirs.archive + "/" + session + ".live.mp3"));

  const auto sonauto_before = s.sim("GET", "/_sim/tasks/" + task).json().as_object();
  s.server().kill_now();
  const auto ranged = request(other.port, "GET", "/api/stream/" + session, {{"Range", "bytes=1000-"}});
  EXPECT_EQ(ranged.status, 206u);
  EXPECT_TRUE(ranged.body == final_copy.substr(1000)) << ranged.body.size() << " bytes";
  EXPECT_EQ(ranged.header("etag"), from_owner.header("etag")) << "not the copy whose SHA-256 was recorded";
  const auto whole = request(other.port, "GET", "/api/stream/" + session);
  EXPECT_EQ(whole.status, 200u);
  EXPECT_TRUE(whole.body == final_copy);
  const auto sonauto_after = s.sim("GET", "/_sim/tasks/" + task).json().as_object();
  EXPECT_EQ(sonauto_after.at("stream_connections_total"), sonauto_before.at("stream_connections_total"));
  EXPECT_EQ(sonauto_after.at("cdn_requests"), sonauto_before.at("cdn_requests"));
  EXPECT_EQ(metric_at(other.port, "serenade_edge_connections_total"), 0u) << "relayed instead of read from the folder";
  EXPECT_TRUE(files_in(dirs.captures_b).empty()) << "the other instance captured the finished song";
}

// The CDN says the final copy does not exist: the song is its complete live capture for good. That copy is in the
// shared folder too, so it outlives an owner that stopped.
TEST(shared_archive, a_song_kept_as_its_live_capture_is_served_by_another_instance_once_its_owner_stopped) {
  store::postgres_database db;
  folders dirs;
  stack s({.song_seconds = 4, .speed = 4, .expire_after = 0.5, .extra_args = {"--refuse-cdn", "404"}},
          {"--database", db.url(), "--lease-seconds", "3", "--final-retry-ms", "10", "--archive-dir", dirs.archive,
           "--capture-dir", dirs.captures_a});
  auto other = s.start_instance("b", {"--capture-dir", dirs.captures_b});
  const auto session = s.submit("live-kept");
  s.wait_for_state(session, is_complete);
  s.wait_for_metric("serenade_final_copy_given_up_total", exactly(1));
  const auto task = s.task_for("live-kept");
  const auto live_copy = s.simulator_audio(task);
  EXPECT_TRUE(files_in(dirs.captures_a).empty());
  EXPECT_FALSE(fs::exists(dirs.archive + "/" + session + ".mp3"));

  const auto sonauto_before = s.sim("GET", "/_sim/tasks/" + task).json().as_object();
  ASSERT_EQ(s.server().terminate(20s), 0);
  const auto ranged = request(other.port, "GET", "/api/stream/" + session, {{"Range", "bytes=100-199"}});
  EXPECT_EQ(ranged.status, 206u);
  EXPECT_TRUE(ranged.body == live_copy.substr(100, 100));
  const auto whole = request(other.port, "GET", "/api/stream/" + session);
  EXPECT_EQ(whole.status, 200u);
  EXPECT_TRUE(whole.body == live_copy) << whole.body.size() << " bytes";
  const auto sonauto_after = s.sim("GET", "/_sim/tasks/" + task).json().as_object();
  EXPECT_EQ(sonauto_after.at("stream_connections_total"), sonauto_before.at("stream_connections_total"));
  EXPECT_EQ(sonauto_after.at("cdn_requests"), sonauto_before.at("cdn_requests"));
  EXPECT_EQ(metric_at(other.port, "serenade_edge_connections_total"), 0u);
}

}  // namespace
}  // namespace serenade::testing
