// The song files archive owns: the live capture, the final copy, the choice of copy, a retry's clean-up and
// the state file of secrets. Each test works in a fresh folder of its own.
#include "archive/capture_file.hpp"
#include "archive/final_copy.hpp"
#include "archive/paths.hpp"
#include "archive/song_copies.hpp"
#include "archive/state_file.hpp"
#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace serenade::archive {
namespace {

namespace fs = std::filesystem;

class song_files : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "serenade-song-files-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
  }
  void TearDown() override { fs::remove_all(dir); }

  static std::string contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static void put(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

  std::string dir;
};

// MPEG-1 Layer III frames (128 kbps, 44.1 kHz): a file the song check accepts.
std::string frames(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    std::string frame(417, static_cast<char>(i));
    frame[0] = static_cast<char>(0xFF);
    frame[1] = static_cast<char>(0xFB);
    frame[2] = static_cast<char>(0x90);
    frame[3] = static_cast<char>(0x64);
    out += frame;
  }
  return out;
}

TEST_F(song_files, a_capture_appends_holds_truncates_and_is_kept_as_the_live_copy) {
  {
    capture_file capture(dir, "s1");
    EXPECT_EQ(capture.resumed_size(), 0u);
    const std::string bytes = "abcdef";
    const auto appended = capture.append(bytes);
    EXPECT_FALSE(appended.error);
    EXPECT_EQ(appended.written, 6u);
    EXPECT_TRUE(capture.holds(2, std::string_view("cde")));
    EXPECT_FALSE(capture.holds(2, std::string_view("cdX")));
    EXPECT_FALSE(capture.holds(4, std::string_view("efg")));  // beyond what is stored
    EXPECT_FALSE(capture.truncate());
    EXPECT_FALSE(capture.holds(0, std::string_view("a")));
    capture.append(std::string_view("song"));
    EXPECT_FALSE(capture.keep_as_live_copy());
  }
  EXPECT_FALSE(fs::exists(capture_path(dir, "s1")));
  EXPECT_EQ(contents(live_copy_path(dir, "s1")), "song");
}

TEST_F(song_files, a_capture_left_by_an_earlier_run_is_reopened_with_its_size) {
  put(capture_path(dir, "s1"), "partial");
  capture_file capture(dir, "s1");
  EXPECT_EQ(capture.resumed_size(), 7u);
  capture.append(std::string_view("+more"));
  EXPECT_TRUE(capture.holds(0, std::string_view("partial+more")));
}

TEST_F(song_files, a_capture_that_cannot_be_opened_throws) {
  EXPECT_THROW(capture_file(dir + "/missing-folder", "s1"), std::system_error);
}

TEST_F(song_files, a_verified_final_copy_is_put_in_place) {
  const auto song = frames(50);
  {
    final_copy copy(dir, "s1");
    EXPECT_FALSE(copy.write(std::string_view(song).substr(0, 1000)));
    EXPECT_FALSE(copy.write(std::string_view(song).substr(1000)));
    EXPECT_EQ(copy.make_durable_and_check(), "");
    EXPECT_EQ(copy.put_in_place(), "");
    EXPECT_EQ(copy.final_path(), final_path(dir, "s1"));
  }
  EXPECT_EQ(contents(final_path(dir, "s1")), song);
  EXPECT_FALSE(fs::exists(download_path(dir, "s1")));
}

TEST_F(song_files, a_final_copy_that_fails_its_check_never_gets_the_final_name) {
  {
    final_copy copy(dir, "s1");
    const auto cut = frames(50).substr(0, 20'000) + "not audio";
    EXPECT_FALSE(copy.write(cut));
    EXPECT_NE(copy.make_durable_and_check().find("not a complete MP3"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(final_path(dir, "s1")));
  EXPECT_FALSE(fs::exists(download_path(dir, "s1")));  // nothing of the attempt is left
}

TEST_F(song_files, the_verified_final_copy_is_preferred_then_the_live_copy) {
  const auto both = copies_to_serve(dir, "s1", std::string("abc123"));
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].path, final_path(dir, "s1"));
  EXPECT_EQ(both[0].etag, "\"abc123\"");
  EXPECT_TRUE(both[0].immutable);
  EXPECT_EQ(both[1].path, live_copy_path(dir, "s1"));
  EXPECT_FALSE(both[1].etag);
  EXPECT_FALSE(both[1].immutable);

  const auto unverified = copies_to_serve(dir, "s1", std::nullopt);
  ASSERT_EQ(unverified.size(), 1u);
  EXPECT_EQ(unverified[0].path, live_copy_path(dir, "s1"));
}

TEST_F(song_files, forgetting_an_attempt_removes_all_its_files_and_no_other_songs) {
  for (const auto& path : {capture_path(dir, "s1"), live_copy_path(dir, "s1"), download_path(dir, "s1"),
                           final_path(dir, "s1"), final_path(dir, "s2")}) {
    put(path, "x");
  }
  forget_attempt(dir, "s1");
  for (const auto& path : {capture_path(dir, "s1"), live_copy_path(dir, "s1"), download_path(dir, "s1"),
                           final_path(dir, "s1")}) {
    EXPECT_FALSE(fs::exists(path)) << path;
  }
  EXPECT_TRUE(fs::exists(final_path(dir, "s2")));
}

TEST_F(song_files, a_start_removes_dead_downloads_and_captures_but_keeps_resumable_ones_and_songs) {
  const auto resumable = ids::random_token();
  const auto finished = ids::random_token();
  for (const auto& path : {capture_path(dir, resumable), capture_path(dir, finished), download_path(dir, resumable),
                           download_path(dir, finished), live_copy_path(dir, finished), final_path(dir, finished),
                           dir + "/.webhook-token", dir + "/notes.part", dir + "/notes.mp3.tmp"}) {
    put(path, "x");
  }
  EXPECT_EQ(remove_dead_temporary_files(dir, {resumable}), 3u);
  for (const auto& gone : {capture_path(dir, finished), download_path(dir, resumable), download_path(dir, finished)}) {
    EXPECT_FALSE(fs::exists(gone)) << gone;
  }
  for (const auto& kept : {capture_path(dir, resumable), live_copy_path(dir, finished), final_path(dir, finished),
                           dir + "/.webhook-token", dir + "/notes.part", dir + "/notes.mp3.tmp"}) {
    EXPECT_TRUE(fs::exists(kept)) << kept;
  }
  EXPECT_EQ(remove_dead_temporary_files(dir + "/missing", {}), 0u);
}

TEST_F(song_files, a_secret_is_created_private_then_reused_and_an_invalid_one_replaced) {
  const auto path = dir + "/.secret";
  int generated = 0;
  const auto valid = [](std::string_view s) { return s.size() == 6; };
  const auto generate = [&generated] {
    ++generated;
    return std::string("secret");
  };
  EXPECT_EQ(load_or_create_secret(path, "test secret", valid, generate), "secret");
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(load_or_create_secret(path, "test secret", valid, generate), "secret");
  EXPECT_EQ(generated, 1);
  put(path, "too long to be valid");
  EXPECT_EQ(load_or_create_secret(path, "test secret", valid, generate), "secret");
  EXPECT_EQ(generated, 2);
  EXPECT_EQ(contents(path), "secret");
}

TEST_F(song_files, a_secret_that_cannot_be_stored_is_a_clear_error) {
  try {
    load_or_create_secret(dir + "/missing-folder/.secret", "test secret", [](std::string_view) { return false; },
                          [] { return std::string("s"); });
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot persist the test secret"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace serenade::archive
