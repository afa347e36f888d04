// The MP3 frame cursor (live/frame_cursor.cpp): it follows frame boundaries in Sonauto's live stream, as it comes
// in pieces of any size, so that listeners are shown whole frames and a differing replay is spliced at one.
//
// Input: a byte for the piece size (1-64), a byte for the frame index to stop at (255: no stop), then the stream.
#include "check.hpp"
#include "live/frame_cursor.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

using serenade::live::frame_cursor;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t piece = 1 + data[0] % 64;
  const unsigned stop_index = data[1];
  const std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

  // The same stream in one piece and in small ones: the same frames.
  frame_cursor whole;
  FUZZ_CHECK(whole.feed(stream) == stream.size());
  frame_cursor pieces;
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    const auto part = stream.substr(at, piece);
    FUZZ_CHECK(pieces.feed(part) == part.size());
  }
  FUZZ_CHECK(pieces.whole_end() == whole.whole_end() && pieces.whole_frames() == whole.whole_frames());
  FUZZ_CHECK(pieces.lost() == whole.lost());
  FUZZ_CHECK(whole.whole_end() <= stream.size() && whole.consumed() == stream.size());
  // Cutting back to the last whole frame and feeding what followed again finds the same frames.
  whole.cut_to_whole_end();
  FUZZ_CHECK(whole.consumed() == whole.whole_end());
  if (!whole.lost()) {
    whole.feed(stream.substr(static_cast<std::size_t>(whole.whole_end())));
    FUZZ_CHECK(whole.whole_end() == pieces.whole_end() && whole.whole_frames() == pieces.whole_frames());
  }

  // A stop: what is held back plus the rest of the stream is the stream from that frame's start, which is where
  // the frames before it end.
  if (stop_index == 255) return 0;
  frame_cursor stopping;
  std::uint64_t stopped_index = 0;
  const frame_cursor::stop_rule rule = [&](std::uint64_t index) {
    if (index < stop_index) return false;
    stopped_index = index;
    return true;
  };
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    const auto part = stream.substr(at, piece);
    const auto taken = stopping.feed(part, rule);
    if (taken == part.size() && stopping.held().empty()) continue;
    const std::string from_stop = stopping.held() + std::string(part.substr(taken)) + std::string(stream.substr(at + part.size()));
    const auto start = stream.size() - from_stop.size();
    FUZZ_CHECK(stream.substr(start) == from_stop);
    frame_cursor before;
    before.feed(stream.substr(0, start));
    FUZZ_CHECK(before.whole_end() == start && before.whole_frames() == stopped_index);
    break;
  }
  return 0;
}
