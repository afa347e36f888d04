// At start-up the half-written files no attempt will continue are removed: the captures of songs no longer being
// generated, and temporary files nobody wrote for a day (younger ones may be another instance's, writing now, on a
// shared archive folder). The capture of a song still being generated is kept for its resume.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace serenade::testing {
namespace {

namespace fs = std::filesystem;

TEST(temporary_files, dead_downloads_and_captures_are_gone_once_the_server_listens) {
  stack s({.song_seconds = 30, .speed = 1});
  const auto session = s.submit("resumable");
  s.wait_for_state(session, is_stream_ready);
  s.wait_for_metric("serenade_capture_bytes_total", at_least(1));
  ASSERT_EQ(s.server().terminate(20s), 0);

  const auto archive = fs::path(s.dir()) / "archive";
  const auto resumable = archive / (session + ".part");
  ASSERT_TRUE(fs::exists(resumable));
  // Named like Serenade's own files, for sessions no attempt will continue.
  const auto dead_capture = archive / "AAAAAAAAAAAAAAAAAAAAAA.part";
  const auto dead_download = archive / "BBBBBBBBBBBBBBBBBBBBBB.mp3.tmp";
  const auto interrupted_download = archive / (session + ".CCCCCCCCCCCCCCCCCCCCCC.tmp");
  const auto download_in_progress = archive / (session + ".DDDDDDDDDDDDDDDDDDDDDD.tmp");
  for (const auto& path : {dead_capture, dead_download, interrupted_download, download_in_progress}) {
    std::ofstream(path) << "half";
  }
  const auto two_days_ago = fs::file_time_type::clock::now() - std::chrono::hours(48);
  for (const auto& path : {dead_download, interrupted_download}) fs::last_write_time(path, two_days_ago);

  s.start_server();
  EXPECT_FALSE(fs::exists(dead_capture));
  EXPECT_FALSE(fs::exists(dead_download));
  EXPECT_FALSE(fs::exists(interrupted_download));
  EXPECT_TRUE(fs::exists(resumable)) << "an unfinished song's capture is resumed, not removed";
  EXPECT_TRUE(fs::exists(download_in_progress)) << "a temporary file written lately was removed";
}

}  // namespace
}  // namespace serenade::testing
