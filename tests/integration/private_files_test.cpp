// Everything Serenade writes (database, songs, captures, the webhook secret) is its user's alone, and folders and
// a database left open to others by an older run are closed at the next start.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>

namespace serenade::testing {
namespace {

unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + path);
  return st.st_mode & 07777;
}

TEST(private_files, the_database_songs_and_secrets_are_the_owners_alone) {
  stack s({.song_seconds = 4, .speed = 4});
  const auto session = s.submit("private");
  s.wait_for_state(session, is_complete);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1));
  const auto archive = s.dir() + "/archive";
  const auto database = s.dir() + "/serenade.db";
  EXPECT_EQ(mode_of(archive), 0700u);
  for (const auto& file : {database, database + "-wal", database + "-shm", archive + "/" + session + ".mp3",
                           archive + "/" + session + ".live.mp3", archive + "/.webhook-token"}) {
    EXPECT_EQ(mode_of(file), 0600u) << file;
  }
}

TEST(private_files, a_start_closes_what_an_older_run_left_open) {
  stack s;
  const auto archive = s.dir() + "/archive";
  const auto database = s.dir() + "/serenade.db";
  s.server().terminate(20s);
  ASSERT_EQ(::chmod(archive.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(database.c_str(), 0644), 0);
  s.start_server();
  EXPECT_EQ(mode_of(archive), 0700u);
  EXPECT_EQ(mode_of(database), 0600u);
  EXPECT_EQ(mode_of(database + "-wal"), 0600u);
}

}  // namespace
}  // namespace serenade::testing
