#include "archive/mp3_frames.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace serenade::archive {
namespace {

using bytes_t = std::vector<std::uint8_t>;

// Header byte 1 for each version with Layer III and no CRC.
constexpr std::uint8_t mpeg1_l3 = 0xFB;
constexpr std::uint8_t mpeg2_l3 = 0xF3;
constexpr std::uint8_t mpeg25_l3 = 0xE3;
constexpr std::uint8_t joint_stereo = 0x40;
constexpr std::uint8_t mono = 0xC0;

// MPEG-1 Layer III, 44.1 kHz, joint stereo.
constexpr std::uint8_t kbps128 = 0x90;
constexpr std::uint8_t kbps192 = 0xB0;
constexpr std::uint8_t padded = 0x02;

std::optional<frame_header> parse(std::uint8_t b1, std::uint8_t b2, std::uint8_t b3 = joint_stereo) {
  const bytes_t header = {0xFF, b1, b2, b3};
  return parse_frame_header(header);
}

// A frame is a header plus payload; the payload content is irrelevant to the scanner.
void append_frame(bytes_t& out, std::uint8_t b2, std::size_t length, std::uint8_t fill = 0x55) {
  out.insert(out.end(), {0xFF, mpeg1_l3, b2, joint_stereo});
  out.insert(out.end(), length - 4, fill);
}

// 128 kbps frames alternating padding like a CBR encoder: 417, 418, 417, ...
bytes_t cbr_frames(std::size_t count, std::vector<std::size_t>* offsets = nullptr) {
  bytes_t out;
  for (std::size_t i = 0; i < count; ++i) {
    if (offsets) offsets->push_back(out.size());
    const bool pad = i % 2 == 1;
    append_frame(out, pad ? kbps128 | padded : kbps128, pad ? 418 : 417);
  }
  return out;
}

bytes_t id3v2_tag(std::size_t body, bool footer = false) {
  bytes_t tag = {'I', 'D', '3', 4, 0, static_cast<std::uint8_t>(footer ? 0x10 : 0),
                 static_cast<std::uint8_t>((body >> 21) & 0x7F), static_cast<std::uint8_t>((body >> 14) & 0x7F),
                 static_cast<std::uint8_t>((body >> 7) & 0x7F), static_cast<std::uint8_t>(body & 0x7F)};
  tag.insert(tag.end(), body, 0xAB);  // frame-free junk a scanner must not look into
  if (footer) tag.insert(tag.end(), {'3', 'D', 'I', 4, 0, 0x10, 0, 0, 0, 0});
  return tag;
}

bytes_t id3v1_trailer() {
  bytes_t tag(128, 0x20);
  tag[0] = 'T';
  tag[1] = 'A';
  tag[2] = 'G';
  return tag;
}

bytes_t concat(bytes_t a, const bytes_t& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(parse_frame_header, mpeg1_128k_44100_lengths) {
  const auto plain = parse(mpeg1_l3, kbps128);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->version, mpeg_1);
  EXPECT_EQ(plain->layer, 3);
  EXPECT_EQ(plain->bitrate_kbps, 128);
  EXPECT_EQ(plain->sample_rate, 44100);
  EXPECT_FALSE(plain->padding);
  EXPECT_EQ(plain->channels, 2);
  EXPECT_EQ(plain->length, 417u);
  EXPECT_EQ(plain->samples, 1152);

  const auto pad = parse(mpeg1_l3, kbps128 | padded);
  ASSERT_TRUE(pad);
  EXPECT_TRUE(pad->padding);
  EXPECT_EQ(pad->length, 418u);
}

TEST(parse_frame_header, mpeg1_192k_44100_lengths) {
  EXPECT_EQ(parse(mpeg1_l3, kbps192)->length, 626u);
  EXPECT_EQ(parse(mpeg1_l3, kbps192 | padded)->length, 627u);
  EXPECT_EQ(parse(mpeg1_l3, kbps192)->bitrate_kbps, 192);
}

TEST(parse_frame_header, mpeg1_other_rates) {
  const auto big = parse(mpeg1_l3, 0xE4);  // 320 kbps, 48 kHz
  ASSERT_TRUE(big);
  EXPECT_EQ(big->bitrate_kbps, 320);
  EXPECT_EQ(big->sample_rate, 48000);
  EXPECT_EQ(big->length, 960u);
  const auto small = parse(mpeg1_l3, 0x18);  // 32 kbps, 32 kHz
  ASSERT_TRUE(small);
  EXPECT_EQ(small->sample_rate, 32000);
  EXPECT_EQ(small->length, 144u);
}

TEST(parse_frame_header, mpeg2_uses_half_rates_and_576_samples) {
  const auto h = parse(mpeg2_l3, 0x80, mono);  // 64 kbps, 22.05 kHz
  ASSERT_TRUE(h);
  EXPECT_EQ(h->version, mpeg_2);
  EXPECT_EQ(h->bitrate_kbps, 64);
  EXPECT_EQ(h->sample_rate, 22050);
  EXPECT_EQ(h->samples, 576);
  EXPECT_EQ(h->channels, 1);
  EXPECT_EQ(h->length, 208u);  // floor(72 * 64000 / 22050)
  EXPECT_EQ(parse(mpeg2_l3, 0xE4)->length, 480u);  // 160 kbps (top of the table), 24 kHz
  EXPECT_EQ(parse(mpeg2_l3, 0xE4)->bitrate_kbps, 160);
}

TEST(parse_frame_header, mpeg25_uses_quarter_rates) {
  const auto low = parse(mpeg25_l3, 0x18);  // 8 kbps, 8 kHz
  ASSERT_TRUE(low);
  EXPECT_EQ(low->version, mpeg_2_5);
  EXPECT_EQ(low->sample_rate, 8000);
  EXPECT_EQ(low->bitrate_kbps, 8);
  EXPECT_EQ(low->samples, 576);
  EXPECT_EQ(low->length, 72u);
  const auto h = parse(mpeg25_l3, 0x42);  // 32 kbps, 11.025 kHz, padded
  ASSERT_TRUE(h);
  EXPECT_EQ(h->sample_rate, 11025);
  EXPECT_EQ(h->length, 209u);
}

TEST(parse_frame_header, rejects_bad_headers) {
  EXPECT_FALSE(parse_frame_header(bytes_t{0xFF, mpeg1_l3, kbps128}));  // too short
  EXPECT_FALSE(parse_frame_header(bytes_t{}));
  EXPECT_FALSE(parse(0xDB, kbps128));                   // sync bits incomplete
  EXPECT_FALSE(parse_frame_header(bytes_t{0xFE, mpeg1_l3, kbps128, joint_stereo}));
  EXPECT_FALSE(parse(mpeg1_l3, 0x00));                  // free format
  EXPECT_FALSE(parse(mpeg1_l3, 0xF0));                  // bad bitrate index
  EXPECT_FALSE(parse(mpeg1_l3, 0x9C));                  // reserved sample rate
  EXPECT_FALSE(parse(0xEB, kbps128));                   // reserved version
  EXPECT_FALSE(parse(0xFD, kbps128));                   // Layer II
  EXPECT_FALSE(parse(0xFF, kbps128));                   // Layer I
  EXPECT_FALSE(parse(0xF9, kbps128));                   // reserved layer
  EXPECT_FALSE(parse(mpeg1_l3, kbps128, joint_stereo | 0x02));  // reserved emphasis
  EXPECT_TRUE(parse(0xFA, kbps128));                    // CRC-protected is fine
}

TEST(scan_mp3, contiguous_frames_are_complete) {
  const bytes_t song = cbr_frames(100);
  const scan_result r = scan_mp3(song);
  EXPECT_TRUE(r.complete) << r.problem;
  EXPECT_EQ(r.problem, "");
  EXPECT_EQ(r.frames, 100u);
  EXPECT_EQ(r.audio_start, 0u);
  EXPECT_EQ(r.audio_end, song.size());
  EXPECT_DOUBLE_EQ(r.duration_seconds, 100 * 1152 / 44100.0);
}

TEST(scan_mp3, empty_and_tag_only_inputs_have_no_frames) {
  const scan_result empty = scan_mp3(bytes_t{});
  EXPECT_FALSE(empty.complete);
  EXPECT_EQ(empty.problem, "no MPEG audio frames");
  const scan_result tag_only = scan_mp3(id3v2_tag(50));
  EXPECT_FALSE(tag_only.complete);
  EXPECT_EQ(tag_only.problem, "no MPEG audio frames");
  EXPECT_EQ(tag_only.audio_start, 60u);
}

TEST(scan_mp3, skips_id3v2_tag) {
  const bytes_t song = concat(id3v2_tag(257), cbr_frames(10));
  const scan_result r = scan_mp3(song);
  EXPECT_TRUE(r.complete) << r.problem;
  EXPECT_EQ(r.audio_start, 267u);
  EXPECT_EQ(r.frames, 10u);
  EXPECT_EQ(r.audio_end, song.size());
}

TEST(scan_mp3, skips_id3v2_footer) {
  const bytes_t song = concat(id3v2_tag(300, true), cbr_frames(3));
  const scan_result r = scan_mp3(song);
  EXPECT_TRUE(r.complete) << r.problem;
  EXPECT_EQ(r.audio_start, 320u);
}

TEST(scan_mp3, tolerates_zero_padding_after_id3v2) {
  const bytes_t song = concat(concat(id3v2_tag(20), bytes_t(500, 0)), cbr_frames(3));
  const scan_result r = scan_mp3(song);
  EXPECT_TRUE(r.complete) << r.problem;
  EXPECT_EQ(r.audio_start, 530u);
}

TEST(scan_mp3, zero_bytes_without_a_tag_are_not_audio) {
  const scan_result r = scan_mp3(concat(bytes_t(4, 0), cbr_frames(3)));
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.problem, "no frame sync at byte 0");
}

TEST(scan_mp3, truncated_id3v2_is_reported) {
  bytes_t song = concat(id3v2_tag(1000), cbr_frames(2));
  song.resize(600);
  const scan_result r = scan_mp3(song);
  EXPECT_FALSE(r.complete);
  EXPECT_NE(r.problem.find("truncated ID3v2"), std::string::npos) << r.problem;
  EXPECT_EQ(r.frames, 0u);
}

TEST(scan_mp3, invalid_id3v2_size_is_not_a_tag) {
  bytes_t song = concat(id3v2_tag(20), cbr_frames(2));
  song[7] = 0x80;  // not syncsafe
  const scan_result r = scan_mp3(song);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.problem, "no frame sync at byte 0");
}

TEST(scan_mp3, allows_id3v1_trailer) {
  const bytes_t frames = cbr_frames(20);
  const bytes_t song = concat(concat(id3v2_tag(40), frames), id3v1_trailer());
  const scan_result r = scan_mp3(song);
  EXPECT_TRUE(r.complete) << r.problem;
  EXPECT_EQ(r.frames, 20u);
  EXPECT_EQ(r.audio_end, song.size() - 128);
}

TEST(scan_mp3, tag_bytes_inside_the_last_frame_are_audio) {
  bytes_t song = cbr_frames(5);
  const std::size_t at = song.size() - 128;  // inside the last (417-byte) frame's payload
  song[at] = 'T';
  song[at + 1] = 'A';
  song[at + 2] = 'G';
  const scan_result r = scan_mp3(song);
  EXPECT_TRUE(r.complete) << r.problem;
  EXPECT_EQ(r.frames, 5u);
  EXPECT_EQ(r.audio_end, song.size());
}

TEST(scan_mp3, junk_after_frames_is_not_a_trailer) {
  const bytes_t song = concat(cbr_frames(5), bytes_t(100, 0x20));
  const scan_result r = scan_mp3(song);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.problem, "no frame sync at byte " + std::to_string(song.size() - 100));
}

TEST(scan_mp3, corrupted_sync_names_the_offset) {
  std::vector<std::size_t> offsets;
  bytes_t song = cbr_frames(50, &offsets);
  song[offsets[20]] = 0x7F;
  const scan_result r = scan_mp3(song);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.frames, 20u);
  EXPECT_EQ(r.audio_end, offsets[20]);
  EXPECT_EQ(r.problem, "no frame sync at byte " + std::to_string(offsets[20]));
}

TEST(scan_mp3, corrupted_sample_rate_names_the_offset) {
  std::vector<std::size_t> offsets;
  bytes_t song = cbr_frames(50, &offsets);
  song[offsets[30] + 2] |= 0x04;  // 44.1 kHz -> 48 kHz keeps a valid header
  const scan_result r = scan_mp3(song);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.frames, 30u);
  EXPECT_NE(r.problem.find("at byte " + std::to_string(offsets[30])), std::string::npos) << r.problem;
  EXPECT_NE(r.problem.find("48000"), std::string::npos) << r.problem;
}

TEST(scan_mp3, corrupted_bitrate_breaks_the_chain) {
  std::vector<std::size_t> offsets;
  bytes_t song = cbr_frames(50, &offsets);
  song[offsets[10] + 2] = kbps192;  // a valid header with the wrong length
  const scan_result r = scan_mp3(song);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.frames, 11u);
  EXPECT_EQ(r.problem, "no frame sync at byte " + std::to_string(offsets[10] + 626));
}

TEST(scan_mp3, truncated_last_frame) {
  std::vector<std::size_t> offsets;
  bytes_t song = cbr_frames(8, &offsets);
  song.resize(song.size() - 100);
  const scan_result r = scan_mp3(song);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.frames, 7u);
  EXPECT_EQ(r.audio_end, offsets[7]);
  EXPECT_EQ(r.problem.rfind("truncated frame at byte " + std::to_string(offsets[7]), 0), 0u) << r.problem;
  EXPECT_NEAR(r.duration_seconds, 7 * 1152 / 44100.0, 1e-9);
}

TEST(scan_mp3, truncated_last_header) {
  bytes_t song = cbr_frames(4);
  const std::size_t end = song.size();
  song.insert(song.end(), {0xFF, mpeg1_l3});
  const scan_result r = scan_mp3(song);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.problem, "truncated frame header at byte " + std::to_string(end));
}

TEST(whole_frames_prefix, ends_at_last_complete_frame_for_every_cut) {
  std::vector<std::size_t> offsets;
  const bytes_t song = cbr_frames(6, &offsets);
  offsets.push_back(song.size());
  for (std::size_t cut = 0; cut <= song.size(); ++cut) {
    std::size_t expected = 0;
    for (std::size_t end : offsets) {
      if (end <= cut) expected = end;
    }
    ASSERT_EQ(whole_frames_prefix(std::span(song).first(cut)), expected) << "cut " << cut;
  }
}

TEST(whole_frames_prefix, keeps_the_id3v2_tag_once_a_frame_follows) {
  const bytes_t tag = id3v2_tag(30);
  const bytes_t song = concat(tag, cbr_frames(2));
  EXPECT_EQ(whole_frames_prefix(std::span(song).first(tag.size() + 416)), 0u);
  EXPECT_EQ(whole_frames_prefix(std::span(song).first(tag.size() + 417)), tag.size() + 417);
  EXPECT_EQ(whole_frames_prefix(song), song.size());
  EXPECT_EQ(whole_frames_prefix(std::span(song).first(5)), 0u);
}

TEST(whole_frames_prefix, excludes_id3v1_trailer_and_junk) {
  const bytes_t frames = cbr_frames(3);
  EXPECT_EQ(whole_frames_prefix(concat(frames, id3v1_trailer())), frames.size());
  EXPECT_EQ(whole_frames_prefix(concat(frames, bytes_t(10, 1))), frames.size());
}

TEST(frame_offsets, lists_every_frame_start) {
  std::vector<std::size_t> expected;
  const bytes_t frames = cbr_frames(12, &expected);
  EXPECT_EQ(frame_offsets(frames), expected);

  const bytes_t tag = id3v2_tag(99);
  for (std::size_t& o : expected) o += tag.size();
  EXPECT_EQ(frame_offsets(concat(concat(tag, frames), id3v1_trailer())), expected);
}

TEST(frame_offsets, stops_at_corruption) {
  std::vector<std::size_t> expected;
  bytes_t song = cbr_frames(12, &expected);
  song[expected[4] + 1] = 0;
  expected.resize(4);
  EXPECT_EQ(frame_offsets(song), expected);
}

TEST(scan_mp3, random_damage_keeps_invariants) {
  // Cheap fuzzing: whatever the damage, results stay inside the buffer and agree.
  std::uint32_t state = 12345;
  const auto next = [&] { return state = state * 1664525u + 1013904223u; };
  const bytes_t clean = concat(concat(id3v2_tag(64), cbr_frames(30)), id3v1_trailer());
  for (int round = 0; round < 2000; ++round) {
    bytes_t song = clean;
    for (int hits = next() % 4; hits > 0; --hits) song[next() % song.size()] = static_cast<std::uint8_t>(next() >> 24);
    song.resize(next() % (song.size() + 1));
    const scan_result r = scan_mp3(song);
    ASSERT_LE(r.audio_start, r.audio_end);
    ASSERT_LE(r.audio_end, song.size());
    ASSERT_EQ(r.complete, r.problem.empty());
    ASSERT_EQ(frame_offsets(song).size(), r.frames);
    ASSERT_EQ(whole_frames_prefix(song), r.frames == 0 ? 0 : r.audio_end);
  }
}

}  // namespace
}  // namespace serenade::archive
