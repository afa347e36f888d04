#include "sim/encodes.hpp"

#include "archive/mp3_frames.hpp"
#include "sim/task.hpp"

#include <gtest/gtest.h>

#include <string>

namespace serenade::sim {
namespace {

int first_bitrate(const std::vector<std::uint8_t>& song) {
  const auto offsets = archive::frame_offsets(song);
  return offsets.empty() ? 0 : archive::parse_frame_header(std::span(song).subspan(offsets.front()))->bitrate_kbps;
}

task_faults with_final(final_encode_mode final_encode) {
  task_faults faults;
  faults.final_encode = final_encode;
  return faults;
}

TEST(encode_song, same_is_one_plain_192k_encode) {
  const auto encodes = encode_song("same-task", 3.0, with_final(final_encode_mode::same));
  EXPECT_EQ(encodes.stream_bitrate_kbps, 192);
  ASSERT_TRUE(encodes.stream);
  EXPECT_FALSE(encodes.final_file);
  EXPECT_EQ(first_bitrate(*encodes.stream), 192);
  EXPECT_NE(std::string(encodes.stream->begin(), encodes.stream->begin() + 3), "ID3");
}

TEST(encode_song, different_is_a_tagged_192k_file_beside_a_plain_128k_stream) {
  const auto encodes = encode_song("different-task", 4.0, task_faults{});  // different is the default
  ASSERT_TRUE(encodes.stream && encodes.final_file);
  const auto& stream = *encodes.stream;
  const auto& file = *encodes.final_file;
  EXPECT_EQ(encodes.stream_bitrate_kbps, 128);
  EXPECT_EQ(first_bitrate(stream), 128);
  EXPECT_TRUE(archive::scan_mp3(stream).complete);
  EXPECT_EQ(archive::scan_mp3(stream).audio_start, 0u) << "the stream carries no tag";

  EXPECT_EQ(std::string(file.begin(), file.begin() + 3), "ID3");
  EXPECT_EQ(std::string(file.end() - 128, file.end() - 125), "TAG");
  const auto scan = archive::scan_mp3(file);
  EXPECT_TRUE(scan.complete) << scan.problem;
  const std::string info(file.begin() + static_cast<std::ptrdiff_t>(scan.audio_start) + 36,
                         file.begin() + static_cast<std::ptrdiff_t>(scan.audio_start) + 40);
  EXPECT_TRUE(info == "Info" || info == "Xing") << info;
  EXPECT_EQ(first_bitrate(file), 192);
  EXPECT_NEAR(scan.duration_seconds, archive::scan_mp3(stream).duration_seconds, 0.05)
      << "the same song in time, the Info frame aside";
}

TEST(encode_song, reencoded_adds_another_encode_of_the_stream_with_the_same_frames) {
  for (auto final_encode : {final_encode_mode::same, final_encode_mode::different}) {
    task_faults faults;
    faults.final_encode = final_encode;
    faults.replay = replay_mode::reencoded;
    const auto encodes = encode_song("replayed-task", 4.0, faults);
    ASSERT_TRUE(encodes.stream && encodes.reencoded);
    const auto& stream = *encodes.stream;
    const auto& again = *encodes.reencoded;
    EXPECT_EQ(again.size(), stream.size()) << "the same timeline in bytes";
    EXPECT_EQ(archive::frame_offsets(again), archive::frame_offsets(stream));
    EXPECT_EQ(first_bitrate(again), encodes.stream_bitrate_kbps);
    EXPECT_NE(again, stream);
    // A replayed prefix differs early: within the first few frames.
    const auto offsets = archive::frame_offsets(stream);
    ASSERT_GT(offsets.size(), 10u);
    EXPECT_FALSE(std::equal(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(offsets[10]), again.begin()));
  }
  EXPECT_FALSE(encode_song("replayed-task", 1.0, task_faults{}).reencoded) << "identical (the default) needs no other encode";
}

TEST(add_missing_encodes, makes_the_reencode_for_a_task_switched_to_reencoded) {
  task t;
  t.id = "switched-replay";
  t.song_seconds = 2.0;
  t.faults = with_final(final_encode_mode::same);
  t.audio = encode_song(t.id, t.song_seconds, t.faults).stream;
  task_faults reencoded = t.faults;
  reencoded.replay = replay_mode::reencoded;
  add_missing_encodes(t, reencoded);
  ASSERT_TRUE(t.reencoded);
  EXPECT_EQ(t.reencoded->size(), t.audio->size());
  EXPECT_NE(*t.reencoded, *t.audio);
  EXPECT_FALSE(t.final_file);
}

TEST(add_missing_encodes, makes_the_final_file_once_when_switched_to_different) {
  task t;
  t.id = "switched-task";
  t.song_seconds = 2.0;
  t.faults = with_final(final_encode_mode::same);
  const auto encodes = encode_song(t.id, t.song_seconds, t.faults);
  t.audio = encodes.stream;
  EXPECT_EQ(t.cdn_file(), t.audio);

  const auto different = with_final(final_encode_mode::different);
  add_missing_encodes(t, different);
  ASSERT_TRUE(t.final_file);
  const auto made = t.final_file;
  EXPECT_EQ(t.cdn_file(), t.audio) << "the switch itself is not changed here";
  t.change_faults(different, false);
  EXPECT_EQ(t.cdn_file(), made);
  EXPECT_NE(*t.cdn_file(), *t.audio);
  add_missing_encodes(t, different);
  EXPECT_EQ(t.final_file, made) << "made once";
}

}  // namespace
}  // namespace serenade::sim
