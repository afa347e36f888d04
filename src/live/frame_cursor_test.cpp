#include "live/frame_cursor.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace serenade::live {
namespace {

// An MPEG-1 Layer III frame, 128 kbit/s at 44.1 kHz without padding or CRC: 417 bytes; `fill` marks the rest so
// frames can be told apart.
std::string frame(char fill) {
  std::string f(417, fill);
  f[0] = static_cast<char>(0xFF);
  f[1] = static_cast<char>(0xFB);
  f[2] = static_cast<char>(0x90);
  f[3] = static_cast<char>(0x00);
  return f;
}

std::string frames(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += frame(static_cast<char>('a' + i % 26));
  return out;
}

void feed_in_pieces(frame_cursor& cursor, const std::string& bytes, std::size_t piece) {
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    const auto n = std::min(piece, bytes.size() - at);
    ASSERT_EQ(cursor.feed({bytes.data() + at, n}), n);
  }
}

TEST(frame_cursor, whole_frames_are_found_whatever_the_pieces) {
  const auto stream = frames(5) + frame('z').substr(0, 100);  // five whole frames and the start of a sixth
  for (std::size_t piece : {1u, 3u, 4u, 5u, 6u, 7u, 416u, 417u, 418u, 5000u}) {
    frame_cursor cursor;
    feed_in_pieces(cursor, stream, piece);
    EXPECT_FALSE(cursor.lost()) << piece;
    EXPECT_EQ(cursor.whole_frames(), 5u) << piece;
    EXPECT_EQ(cursor.whole_end(), 5u * 417) << piece;
    EXPECT_EQ(cursor.consumed(), stream.size()) << piece;
  }
}

TEST(frame_cursor, an_id3v2_tag_before_the_first_frame_is_stepped_over) {
  std::string tag = "ID3";
  tag += std::string{'\x04', '\x00', '\x00', '\x00', '\x00', '\x01', '\x05'};  // 133 bytes follow the head
  tag += std::string(133, '\0');
  frame_cursor cursor;
  feed_in_pieces(cursor, tag + frames(2), 7);
  EXPECT_FALSE(cursor.lost());
  EXPECT_EQ(cursor.whole_frames(), 2u);
  EXPECT_EQ(cursor.whole_end(), tag.size() + 2 * 417);
}

// Found by fuzzing: a tag with an empty body is whole as soon as its head is read, even when no byte follows
// yet; before, it stayed unfinished until the next piece, and a splice at the first frame cut it away.
TEST(frame_cursor, an_empty_id3v2_tag_is_whole_when_its_head_ends_the_piece) {
  const std::string tag = std::string("ID3") + std::string{'\x04', '\x00', '\x00', '\x00', '\x00', '\x00', '\x00'};
  for (std::size_t piece : {1u, 10u}) {
    frame_cursor cursor;
    feed_in_pieces(cursor, tag, piece);
    EXPECT_EQ(cursor.whole_end(), 10u) << piece;
    EXPECT_EQ(cursor.whole_frames(), 0u) << piece;
    feed_in_pieces(cursor, frames(1), piece);
    EXPECT_EQ(cursor.whole_end(), 10u + 417u) << piece;
    EXPECT_EQ(cursor.whole_frames(), 1u) << piece;
  }
}

TEST(frame_cursor, anything_but_frames_loses_the_cursor) {
  frame_cursor garbage;
  feed_in_pieces(garbage, frames(2) + "not a frame at all" + frames(1), 10);
  EXPECT_TRUE(garbage.lost());
  EXPECT_EQ(garbage.whole_frames(), 2u);

  auto other_rate = frame('x');
  other_rate[2] = static_cast<char>(0x94);  // 48 kHz
  frame_cursor mixed;
  feed_in_pieces(mixed, frames(1) + other_rate, 100);
  EXPECT_TRUE(mixed.lost()) << "frames of another sample rate would play at the wrong speed";
}

// A splice starts exactly at the frame the rule accepts, whether its first bytes came in an earlier piece or not:
// the bytes held back plus the rest of the piece are the stream from that frame on.
TEST(frame_cursor, stops_at_the_start_of_the_frame_the_rule_accepts) {
  std::string stream = frames(3) + frame('R') + frames(2);
  const auto splice_at = 3u * 417;
  for (std::size_t piece : {1u, 2u, 5u, 6u, 7u, 100u, 417u, 1250u, 1251u, 1252u, 1257u, 3000u}) {
    frame_cursor cursor;
    const frame_cursor::stop_rule rule = [](std::uint64_t index) { return index >= 3; };
    std::string spliced;
    bool stopped = false;
    for (std::size_t at = 0; at < stream.size(); at += piece) {
      const auto n = std::min(piece, stream.size() - at);
      if (stopped) {
        spliced.append(stream, at, n);
        continue;
      }
      const auto taken = cursor.feed({stream.data() + at, n}, rule);
      if (taken < n || !cursor.held().empty()) {
        stopped = true;
        spliced = cursor.held() + stream.substr(at + taken, n - taken);
      }
    }
    ASSERT_TRUE(stopped) << piece;
    EXPECT_EQ(spliced, stream.substr(splice_at)) << "piece " << piece;
  }
}

TEST(frame_cursor, cut_to_whole_end_forgets_a_partial_frame) {
  frame_cursor cursor;
  feed_in_pieces(cursor, frames(2) + frame('q').substr(0, 50), 9);
  cursor.cut_to_whole_end();
  EXPECT_EQ(cursor.consumed(), 2u * 417);
  feed_in_pieces(cursor, frames(1), 9);
  EXPECT_FALSE(cursor.lost());
  EXPECT_EQ(cursor.whole_frames(), 3u);
}

}  // namespace
}  // namespace serenade::live
