#include "sim/song_synth.hpp"

#include <gtest/gtest.h>
#include <lame/lame.h>

#include <array>
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <stdexcept>
#include <string>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "archive/mp3_frames.hpp"

namespace serenade::sim {
namespace {

using bytes_t = std::vector<std::uint8_t>;

// One frame per call keeps hip's output bounded; returns interleaved-free left/right PCM.
struct decoded {
  std::vector<short> left, right;
};

decoded decode(const bytes_t& mp3) {
  decoded out;
  hip_t hip = hip_decode_init();
  std::array<short, 1152 * 4> l{}, r{};
  const std::vector<std::size_t> offsets = archive::frame_offsets(mp3);
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const std::size_t end = i + 1 < offsets.size() ? offsets[i + 1] : mp3.size();
    const int n = hip_decode(hip, const_cast<unsigned char*>(mp3.data() + offsets[i]),
                             end - offsets[i], l.data(), r.data());
    if (n < 0) break;
    out.left.insert(out.left.end(), l.begin(), l.begin() + n);
    out.right.insert(out.right.end(), r.begin(), r.begin() + n);
  }
  hip_decode_exit(hip);
  return out;
}

double rms(const std::vector<short>& pcm) {
  double sum = 0;
  for (short s : pcm) sum += static_cast<double>(s) * s;
  return pcm.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(pcm.size())) / 32768.0;
}

TEST(synthesize_song, same_seed_gives_identical_bytes) {
  const bytes_t a = synthesize_song("a quiet morning", 8.0);
  const bytes_t b = synthesize_song("a quiet morning", 8.0);
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(a == b);
}

TEST(synthesize_song, identical_across_threads) {
  const bytes_t serial = synthesize_song("threads", 5.0);
  bytes_t first, second;
  std::thread t1([&] { first = synthesize_song("threads", 5.0); });
  std::thread t2([&] { second = synthesize_song("threads", 5.0); });
  t1.join();
  t2.join();
  EXPECT_TRUE(first == serial);
  EXPECT_TRUE(second == serial);
}

TEST(synthesize_song, different_seeds_give_different_audio) {
  const bytes_t a = synthesize_song("seed one", 10.0);
  const bytes_t b = synthesize_song("seed two", 10.0);
  EXPECT_FALSE(a == b);
  const decoded da = decode(a), db = decode(b);
  ASSERT_EQ(da.left.size(), db.left.size());
  // Not merely different bytes: the waveforms must be unrelated, not shifted copies.
  double dot = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < da.left.size(); ++i) {
    dot += static_cast<double>(da.left[i]) * db.left[i];
    na += static_cast<double>(da.left[i]) * da.left[i];
    nb += static_cast<double>(db.left[i]) * db.left[i];
  }
  EXPECT_LT(std::abs(dot) / std::sqrt(na * nb), 0.5);
}

TEST(synthesize_song, size_matches_bitrate) {
  for (const auto& [seconds, kbps] : {std::pair{10.0, 192}, std::pair{30.0, 192}, std::pair{20.0, 128}}) {
    const bytes_t song = synthesize_song("size", seconds, kbps);
    const double expected = seconds * kbps * 1000 / 8;
    EXPECT_NEAR(static_cast<double>(song.size()), expected, expected * 0.02) << seconds << " s at " << kbps;
  }
}

TEST(synthesize_song, scans_as_complete_with_requested_duration) {
  for (double seconds : {0.05, 1.0, 7.3, 45.0}) {
    const bytes_t song = synthesize_song("duration", seconds);
    const archive::scan_result r = archive::scan_mp3(song);
    EXPECT_TRUE(r.complete) << seconds << ": " << r.problem;
    EXPECT_EQ(r.audio_start, 0u);
    EXPECT_EQ(r.audio_end, song.size());
    EXPECT_NEAR(r.duration_seconds, seconds, 0.1);
  }
}

TEST(synthesize_song, every_frame_is_plain_192k_44100_stereo_audio) {
  const bytes_t song = synthesize_song("frames", 12.0);
  const std::vector<std::size_t> offsets = archive::frame_offsets(song);
  ASSERT_GT(offsets.size(), 400u);
  for (std::size_t offset : offsets) {
    const auto h = archive::parse_frame_header(std::span(song).subspan(offset));
    ASSERT_TRUE(h) << offset;
    ASSERT_EQ(h->version, archive::mpeg_1);
    ASSERT_EQ(h->bitrate_kbps, 192) << offset;
    ASSERT_EQ(h->sample_rate, 44100) << offset;
    ASSERT_EQ(h->channels, 2) << offset;
  }
  // A Xing/Info tag frame would carry its magic right after the 32-byte stereo side info.
  const std::string magic(song.begin() + 36, song.begin() + 40);
  EXPECT_NE(magic, "Xing");
  EXPECT_NE(magic, "Info");
  EXPECT_NE(std::string(song.begin(), song.begin() + 3), "ID3");
  EXPECT_NE(std::string(song.end() - 128, song.end() - 125), "TAG");
}

TEST(synthesize_song, bitrate_is_honoured) {
  const bytes_t song = synthesize_song("bitrate", 3.0, 128);
  for (std::size_t offset : archive::frame_offsets(song)) {
    ASSERT_EQ(archive::parse_frame_header(std::span(song).subspan(offset))->bitrate_kbps, 128);
  }
}

TEST(synthesize_song, frame_aligned_prefixes_are_whole_songs) {
  const bytes_t song = synthesize_song("live", 6.0);
  for (std::size_t cut : {std::size_t{700}, song.size() / 3, song.size() / 2 + 77, song.size() - 1}) {
    const auto prefix = std::span(song).first(archive::whole_frames_prefix(std::span(song).first(cut)));
    ASSERT_FALSE(prefix.empty());
    EXPECT_TRUE(archive::scan_mp3(prefix).complete) << cut;
  }
}

TEST(synthesize_song, decodes_to_audible_unclipped_music) {
  const bytes_t song = synthesize_song("listen", 20.0);
  const decoded pcm = decode(song);
  ASSERT_GT(pcm.left.size(), 19u * 44100);
  const double level = rms(pcm.left);
  EXPECT_GT(level, 0.03);
  EXPECT_LT(level, 0.5);
  std::size_t clipped = 0;
  for (short s : pcm.left) clipped += (s >= 32700 || s <= -32700) ? 1 : 0;
  EXPECT_LT(clipped, pcm.left.size() / 1000);
  EXPECT_NE(pcm.left, pcm.right);  // stereo, not dual mono
}

TEST(synthesize_song, rejects_bad_arguments) {
  EXPECT_THROW(synthesize_song("x", 0.0), std::invalid_argument);
  EXPECT_THROW(synthesize_song("x", -1.0), std::invalid_argument);
  EXPECT_THROW(synthesize_song("x", 1800.5), std::invalid_argument);
  EXPECT_THROW(synthesize_song("x", std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  EXPECT_THROW(synthesize_song("x", std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_THROW(synthesize_song("x", 1.0, 100), std::invalid_argument);
  EXPECT_THROW(synthesize_song("x", 1.0, 0), std::invalid_argument);
  EXPECT_NO_THROW(synthesize_song("", 0.5, 320));
}

TEST(synthesize_encodings, a_plain_encode_is_synthesize_songs_bytes) {
  const std::array<mp3_encoding, 2> encodings{mp3_encoding{}, mp3_encoding{.bitrate_kbps = 128}};
  const auto both = synthesize_encodings("plain", 4.0, encodings);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_TRUE(both[0] == synthesize_song("plain", 4.0));
  EXPECT_TRUE(both[1] == synthesize_song("plain", 4.0, 128));
}

// What a final file made apart from the stream looks like: ID3v2, an Info frame, the audio, ID3v1.
TEST(synthesize_encodings, a_tagged_encode_has_id3v2_an_info_frame_and_id3v1) {
  const mp3_encoding tagged{.bitrate_kbps = 192, .title = "Our harbour song", .info_frame = true};
  const auto file = std::move(synthesize_encodings("tagged", 6.0, std::span(&tagged, 1)).front());
  ASSERT_GT(file.size(), 1000u);
  EXPECT_EQ(std::string(file.begin(), file.begin() + 3), "ID3");
  const std::string text(file.begin(), file.end());
  EXPECT_NE(text.find("Our harbour song"), std::string::npos);
  ASSERT_EQ(std::string(file.end() - 128, file.end() - 125), "TAG");
  EXPECT_EQ(std::string(file.end() - 125, file.end() - 125 + 16), "Our harbour song");

  const archive::scan_result scan = archive::scan_mp3(file);
  EXPECT_TRUE(scan.complete) << scan.problem;
  ASSERT_GT(scan.audio_start, 10u);
  EXPECT_EQ(scan.audio_end, file.size() - 128);
  // The first frame is the Info frame: its magic follows the 32 bytes of stereo side information.
  const auto first = scan.audio_start;
  EXPECT_EQ(std::string(file.begin() + static_cast<std::ptrdiff_t>(first) + 36,
                        file.begin() + static_cast<std::ptrdiff_t>(first) + 40),
            "Info");
  EXPECT_NE(text.find("LAME", first), std::string::npos) << "the LAME extension of the Info frame";
  for (std::size_t offset : archive::frame_offsets(file)) {
    ASSERT_EQ(archive::parse_frame_header(std::span(file).subspan(offset))->bitrate_kbps, 192) << offset;
  }
  // The audio frames after the Info frame play the song: one frame more than the plain encode holds.
  EXPECT_EQ(scan.frames, archive::scan_mp3(synthesize_song("tagged", 6.0)).frames + 1);
}

TEST(synthesize_encodings, another_quality_gives_other_bytes_of_the_same_length) {
  const std::array<mp3_encoding, 2> encodings{mp3_encoding{.quality = 7}, mp3_encoding{.quality = 5}};
  const auto both = synthesize_encodings("quality", 8.0, encodings);
  ASSERT_EQ(both[0].size(), both[1].size()) << "CBR: frame sizes follow from the bitrate alone";
  EXPECT_FALSE(both[0] == both[1]);
  EXPECT_EQ(archive::frame_offsets(both[0]), archive::frame_offsets(both[1]));
  // Not only a header bit: most frames differ.
  const auto offsets = archive::frame_offsets(both[0]);
  std::size_t differing = 0;
  for (std::size_t i = 0; i + 1 < offsets.size(); ++i) {
    const auto a = std::span(both[0]).subspan(offsets[i], offsets[i + 1] - offsets[i]);
    const auto b = std::span(both[1]).subspan(offsets[i], offsets[i + 1] - offsets[i]);
    differing += std::equal(a.begin(), a.end(), b.begin()) ? 0 : 1;
  }
  EXPECT_GT(differing, offsets.size() / 2);
}

TEST(synthesize_encodings, rejects_a_bad_quality_or_bitrate) {
  const mp3_encoding bad_quality{.quality = 10};
  EXPECT_THROW(synthesize_encodings("x", 1.0, std::span(&bad_quality, 1)), std::invalid_argument);
  const mp3_encoding bad_bitrate{.bitrate_kbps = 100};
  EXPECT_THROW(synthesize_encodings("x", 1.0, std::span(&bad_bitrate, 1)), std::invalid_argument);
  EXPECT_TRUE(synthesize_encodings("x", 1.0, {}).empty());
}

TEST(synth_frame_offsets, reads_the_bitrate_from_the_first_frame) {
  for (int bitrate : {128, 192, 320}) {
    const auto song = synthesize_song("frames", 3.0, bitrate);
    EXPECT_EQ(synth_frame_offsets(song), synth_frame_offsets(song, bitrate)) << bitrate;
  }
  const bytes_t tagged{'I', 'D', '3', 4, 0, 0, 0, 0, 0, 0};
  EXPECT_TRUE(synth_frame_offsets(tagged).empty());
}

TEST(synth_frame_offsets, finds_the_frames_the_archive_check_finds) {
  for (int bitrate : {128, 192, 320}) {
    const auto song = synthesize_song("frames", 3.0, bitrate);
    const auto offsets = synth_frame_offsets(song, bitrate);
    EXPECT_GT(offsets.size(), 100u);
    EXPECT_EQ(offsets, archive::frame_offsets(song)) << bitrate;
  }
}

TEST(synth_frame_offsets, stops_at_a_broken_header) {
  auto song = synthesize_song("broken", 2.0);
  const auto offsets = synth_frame_offsets(song);
  const auto middle = offsets[offsets.size() / 2];
  song[middle] = 0;
  EXPECT_EQ(synth_frame_offsets(song).size(), offsets.size() / 2);
}

TEST(mp3_seconds_per_frame, mpeg1_and_mpeg2_rates) {
  EXPECT_DOUBLE_EQ(mp3_seconds_per_frame(), 1152.0 / 44100);
  EXPECT_DOUBLE_EQ(mp3_seconds_per_frame(48000), 0.024);
  EXPECT_DOUBLE_EQ(mp3_seconds_per_frame(22050), 576.0 / 22050);
  EXPECT_THROW(mp3_seconds_per_frame(0), std::invalid_argument);
}

}  // namespace
}  // namespace serenade::sim
