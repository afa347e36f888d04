#include "api/finished_songs.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace serenade::api {
namespace {

using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;

class finished_songs_cache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("finished_songs_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "song.mp3").string();
    std::ofstream(path_) << "0123456789";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(finished_songs_cache, open_song_file_reads_length_and_validators) {
  const auto now = clock_type::now();
  auto song = open_song_file(path_, std::string("\"sha\""), now);
  ASSERT_NE(song, nullptr);
  EXPECT_GE(song->fd, 0);
  EXPECT_EQ(song->identity.length, 10u);
  EXPECT_EQ(song->identity.etag, "\"sha\"");
  EXPECT_EQ(song->identity.last_modified, http::http_date(song->identity.last_modified_unix));
  auto unnamed = open_song_file(path_, std::nullopt, now);
  ASSERT_NE(unnamed, nullptr);
  EXPECT_TRUE(unnamed->identity.etag.starts_with("\"a-")) << unnamed->identity.etag;  // size 10 in hex, then mtime
  EXPECT_EQ(open_song_file((dir_ / "missing.mp3").string(), std::nullopt, now), nullptr);
}

TEST_F(finished_songs_cache, find_gives_the_remembered_open_file_until_it_is_old) {
  finished_songs songs(8, seconds(60));
  const auto now = clock_type::now();
  auto song = open_song_file(path_, std::string("\"sha\""), now);
  songs.remember("session", song);
  EXPECT_EQ(songs.find("session", now + seconds(59)), song);
  EXPECT_EQ(songs.find("other", now), nullptr);
  // Old: reopened from its path, with the same etag.
  auto reopened = songs.find("session", now + seconds(61));
  ASSERT_NE(reopened, nullptr);
  EXPECT_NE(reopened, song);
  EXPECT_EQ(reopened->identity.etag, "\"sha\"");
  EXPECT_EQ(songs.find("session", now + seconds(62)), reopened);
}

TEST_F(finished_songs_cache, a_file_gone_is_forgotten_when_revalidated) {
  finished_songs songs(8, seconds(60));
  const auto now = clock_type::now();
  songs.remember("session", open_song_file(path_, std::nullopt, now));
  std::filesystem::remove(path_);
  EXPECT_NE(songs.find("session", now), nullptr);  // still open and immutable: served until revalidated
  EXPECT_EQ(songs.find("session", now + seconds(61)), nullptr);
  std::ofstream(path_) << "back";
  EXPECT_EQ(songs.find("session", now + seconds(62)), nullptr);  // forgotten: the database decides again
}

TEST_F(finished_songs_cache, bounded_starts_over_when_full_and_forgets) {
  finished_songs songs(2, seconds(60));
  const auto now = clock_type::now();
  songs.remember("a", open_song_file(path_, std::nullopt, now));
  songs.remember("b", open_song_file(path_, std::nullopt, now));
  songs.remember("b", open_song_file(path_, std::nullopt, now));  // replacing does not count as growing
  EXPECT_NE(songs.find("a", now), nullptr);
  songs.remember("c", open_song_file(path_, std::nullopt, now));
  EXPECT_EQ(songs.find("a", now), nullptr);
  EXPECT_NE(songs.find("c", now), nullptr);
  EXPECT_TRUE(songs.holds("c"));
  songs.forget("c");
  EXPECT_EQ(songs.find("c", now), nullptr);
  EXPECT_FALSE(songs.holds("c"));
}

TEST_F(finished_songs_cache, the_descriptor_closes_with_the_last_holder) {
  finished_songs songs(2, seconds(60));
  auto song = open_song_file(path_, std::nullopt, clock_type::now());
  const int fd = song->fd;
  songs.remember("a", song);
  songs.forget("a");
  EXPECT_EQ(::fcntl(fd, F_GETFD), FD_CLOEXEC);  // still ours
  song.reset();
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
}

}  // namespace
}  // namespace serenade::api
