#include "sim/cdn.hpp"

#include "archive/mp3_frames.hpp"
#include "sim/song_synth.hpp"

#include <gtest/gtest.h>

#include <span>

namespace serenade::sim {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& file) {
  return {reinterpret_cast<const std::uint8_t*>(file.data()), file.size()};
}

TEST(corrupt_middle, keeps_the_length_and_breaks_the_frame_walk_in_the_middle) {
  const auto song = synthesize_song("corrupt", 4.0);
  std::string file(song.begin(), song.end());
  ASSERT_TRUE(archive::scan_mp3(bytes_of(file)).complete);
  const auto frames = archive::scan_mp3(bytes_of(file)).frames;
  corrupt_middle(file);
  EXPECT_EQ(file.size(), song.size());
  const auto scan = archive::scan_mp3(bytes_of(file));
  EXPECT_FALSE(scan.complete);
  EXPECT_EQ(scan.frames, frames / 2);
}

}  // namespace
}  // namespace serenade::sim
