// The song files archive owns: the live capture, the final copy, the choice of copy, a retry's clean-up and
// the state file of secrets. Each test works in a fresh folder of its own.
#include "archive/capture_file.hpp"
#include "archive/final_copy.hpp"
#include "archive/paths.hpp"
#include "archive/song_copies.hpp"
#include "archive/state_file.hpp"
#include "archive/testing/fake_frames.hpp"
#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
  static std::vector<std::string> files_in(const std::string& folder) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir;
};

std::string frames(int count) { return testing::fake_frames(count); }

TEST_F(song_files, a_capture_appends_holds_truncates_and_is_kept_as_the_live_copy) {
  {
    capture_file capture(dir, dir, "s1");
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

// The capture grows on this instance's disk and the complete one is kept in the archive folder, which may be on
// another file system (then it is copied) and shared with other instances (then the first one kept stays).
TEST_F(song_files, a_complete_capture_moves_from_the_capture_folder_to_the_archive_once) {
  const auto captures = dir + "/captures";
  const auto archive = dir + "/archive";
  fs::create_directories(captures);
  fs::create_directories(archive);
  {
    capture_file capture(captures, archive, "s1");
    capture.append(std::string_view("song"));
    EXPECT_FALSE(capture.keep_as_live_copy());
  }
  EXPECT_TRUE(files_in(captures).empty());
  EXPECT_EQ(contents(live_copy_path(archive, "s1")), "song");
  {
    capture_file edge(dir, archive, "s1");  // another instance's capture of the same song, kept second
    edge.append(std::string_view("other"));
    EXPECT_FALSE(edge.keep_as_live_copy());
    EXPECT_FALSE(fs::exists(capture_path(dir, "s1")));
  }
  EXPECT_EQ(contents(live_copy_path(archive, "s1")), "song");
  EXPECT_EQ(files_in(archive), std::vector<std::string>{"s1.live.mp3"});
}

// /dev/shm is another file system than the temporary folder on most machines: there a link fails (EXDEV) and
// the capture is copied instead.
TEST_F(song_files, a_capture_on_another_file_system_is_copied_into_the_archive) {
  std::string pattern = "/dev/shm/serenade-captures-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) GTEST_SKIP() << "no /dev/shm";
  const std::string captures = pattern;
  {
    capture_file capture(captures, dir, "s1");
    capture.append(frames(20));
    EXPECT_FALSE(capture.keep_as_live_copy());
  }
  const bool empty = fs::is_empty(captures);
  fs::remove_all(captures);
  EXPECT_TRUE(empty);
  EXPECT_EQ(contents(live_copy_path(dir, "s1")), frames(20));
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"s1.live.mp3"});
}

TEST_F(song_files, a_capture_left_by_an_earlier_run_is_reopened_with_its_size) {
  put(capture_path(dir, "s1"), "partial");
  capture_file capture(dir, dir, "s1");
  EXPECT_EQ(capture.resumed_size(), 7u);
  capture.append(std::string_view("+more"));
  EXPECT_TRUE(capture.holds(0, std::string_view("partial+more")));
}

TEST_F(song_files, a_capture_that_cannot_be_opened_throws) {
  EXPECT_THROW(capture_file(dir + "/missing-folder", dir, "s1"), std::system_error);
}

TEST_F(song_files, a_verified_final_copy_is_put_in_place) {
  const auto song = frames(50);
  {
    final_copy copy(dir, "s1");
    EXPECT_FALSE(copy.write(std::string_view(song).substr(0, 1000)));
    EXPECT_FALSE(copy.write(std::string_view(song).substr(1000)));
    EXPECT_EQ(copy.make_durable_and_check(), "");
    EXPECT_FALSE(copy.put_in_place());
    EXPECT_EQ(copy.final_path(), final_path(dir, "s1"));
  }
  EXPECT_EQ(contents(final_path(dir, "s1")), song);
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"s1.mp3"}) << "the temporary name was left";
}

// Two instances sharing the archive folder download the same song at once (a lease that changed hands): each
// writes under its own temporary name, and the first to finish keeps the final name.
TEST_F(song_files, a_final_copy_is_written_once_and_the_second_writer_keeps_the_first) {
  const auto first = frames(50);
  const auto second = frames(60);
  final_copy one(dir, "s1");
  final_copy two(dir, "s1");
  EXPECT_FALSE(one.write(first));
  EXPECT_FALSE(two.write(second));
  EXPECT_EQ(files_in(dir).size(), 2u) << "the writers share a temporary name";
  EXPECT_EQ(one.make_durable_and_check(), "");
  EXPECT_EQ(two.make_durable_and_check(), "");
  EXPECT_FALSE(one.put_in_place());
  EXPECT_EQ(two.put_in_place(), std::errc::file_exists);
  EXPECT_EQ(contents(final_path(dir, "s1")), first);
}

TEST_F(song_files, a_final_copy_that_fails_its_check_never_gets_the_final_name) {
  {
    final_copy copy(dir, "s1");
    const auto cut = frames(50).substr(0, 20'000) + "not audio";
    EXPECT_FALSE(copy.write(cut));
    EXPECT_NE(copy.make_durable_and_check().find("not a complete MP3"), std::string::npos);
  }
  EXPECT_TRUE(files_in(dir).empty()) << "something of the attempt was left";
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
  const auto captures = dir + "/captures";
  fs::create_directories(captures);
  for (const auto& path : {capture_path(captures, "s1"), live_copy_path(dir, "s1"), final_path(dir, "s1"),
                           final_path(dir, "s2")}) {
    put(path, "x");
  }
  forget_attempt(captures, dir, "s1");
  for (const auto& path : {capture_path(captures, "s1"), live_copy_path(dir, "s1"), final_path(dir, "s1")}) {
    EXPECT_FALSE(fs::exists(path)) << path;
  }
  EXPECT_TRUE(fs::exists(final_path(dir, "s2")));
}

TEST_F(song_files, a_start_removes_dead_captures_but_keeps_resumable_ones_and_songs) {
  const auto resumable = ids::random_token();
  const auto finished = ids::random_token();
  for (const auto& path : {capture_path(dir, resumable), capture_path(dir, finished), live_copy_path(dir, finished),
                           final_path(dir, finished), dir + "/.webhook-token", dir + "/notes.part"}) {
    put(path, "x");
  }
  EXPECT_EQ(remove_dead_temporary_files(dir, dir, {resumable}), 1u);
  EXPECT_FALSE(fs::exists(capture_path(dir, finished)));
  for (const auto& kept : {capture_path(dir, resumable), live_copy_path(dir, finished), final_path(dir, finished),
                           dir + "/.webhook-token", dir + "/notes.part"}) {
    EXPECT_TRUE(fs::exists(kept)) << kept;
  }
  EXPECT_EQ(remove_dead_temporary_files(dir + "/missing", dir + "/missing", {}), 0u);
}

// On a shared archive folder a temporary file may be another instance's download in progress: only one untouched
// for abandoned_temporary_age is removed, whoever wrote it. Captures are looked for in the capture folder only.
TEST_F(song_files, a_start_removes_only_temporary_files_nobody_wrote_for_a_day) {
  const auto captures = dir + "/captures";
  const auto archive = dir + "/archive";
  fs::create_directories(captures);
  fs::create_directories(archive);
  const auto song = ids::random_token();
  const auto in_progress = temporary_path_for(archive, song);
  const auto abandoned = temporary_path_for(archive, song);
  const auto abandoned_before_unique_names = archive + "/" + song + ".mp3.tmp";
  const auto other_instances_capture = capture_path(archive, song);
  for (const auto& path : {in_progress, abandoned, abandoned_before_unique_names, other_instances_capture,
                           archive + "/notes.tmp", capture_path(captures, song)}) {
    put(path, "x");
  }
  EXPECT_NE(in_progress, abandoned) << "two writers share a temporary name";
  const auto long_ago = fs::file_time_type::clock::now() - abandoned_temporary_age - std::chrono::minutes(1);
  for (const auto& path : {abandoned, abandoned_before_unique_names, archive + "/notes.tmp"}) {
    fs::last_write_time(path, long_ago);
  }
  fs::last_write_time(in_progress, fs::file_time_type::clock::now() - abandoned_temporary_age + std::chrono::hours(1));
  EXPECT_EQ(remove_dead_temporary_files(captures, archive, {}), 3u);
  for (const auto& gone : {abandoned, abandoned_before_unique_names, capture_path(captures, song)}) {
    EXPECT_FALSE(fs::exists(gone)) << gone;
  }
  for (const auto& kept : {in_progress, other_instances_capture, archive + "/notes.tmp"}) {
    EXPECT_TRUE(fs::exists(kept)) << kept;
  }
}

TEST_F(song_files, instances_starting_together_share_the_first_stored_secret) {
  const auto path = dir + "/.secret";
  const auto valid = [](std::string_view s) { return s.size() == 6; };
  put(path + ".other", "theirs");
  // The other instance links its secret in place between this one's look and its own link.
  const auto generate_while_another_stores = [&] {
    fs::create_hard_link(path + ".other", path);
    return std::string("mine!!");
  };
  EXPECT_EQ(load_or_create_secret(path, "test secret", valid, generate_while_another_stores), "theirs");
  EXPECT_EQ(contents(path), "theirs");
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
