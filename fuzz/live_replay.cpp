// The replay splitter (live/replay.cpp): when the hub reconnects, Sonauto resends the song from its first byte
// and each piece is split into bytes to verify against the capture and bytes to append. Driven here as the hub
// drives it (live/hub.cpp), against a capture in memory.
//
// Input: one byte for how much of the song was captured before the drop, a byte per piece for the sizes the
// stream delivers (1-16, a zero byte ends the list), then the replayed bytes. The capture is the replay's
// beginning unless the last bit of the first byte is set, when one captured byte differs.
#include "check.hpp"
#include "live/replay.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using serenade::live::split_replay;

// The splitter's arithmetic on its own, for positions and sizes no test input reaches.
void check_split(std::uint64_t position, std::uint64_t stored, std::uint64_t piece) {
  const auto s = split_replay(position, stored, piece);
  FUZZ_CHECK(s.verify_offset == position);
  FUZZ_CHECK(s.verify_length <= piece && s.append_length == piece - s.verify_length);
  if (s.verify_length > 0) FUZZ_CHECK(position < stored && s.verify_length <= stored - position);
  // Only bytes past the capture are new.
  if (s.append_length > 0) FUZZ_CHECK(position + s.verify_length >= stored);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 25) return 0;
  std::uint64_t numbers[3];
  std::copy_n(data, sizeof numbers, reinterpret_cast<std::uint8_t*>(numbers));
  check_split(numbers[0], numbers[1], numbers[2]);
  data += sizeof numbers;
  size -= sizeof numbers;

  const bool diverges = data[0] & 1;
  std::size_t captured_length = data[0] >> 1;
  std::size_t at = 1;
  std::vector<std::size_t> pieces;
  while (at < size && data[at] != 0) pieces.push_back(1 + data[at++] % 16);
  if (at < size) ++at;
  const std::string_view replay(reinterpret_cast<const char*>(data + at), size - at);
  captured_length = std::min(captured_length, replay.size());
  std::string capture(replay.substr(0, captured_length));
  if (diverges && !capture.empty()) capture[captured_length / 2] ^= 0x20;
  const std::string before = capture;

  std::uint64_t position = 0;
  bool mismatch = false;
  std::size_t next_piece = 0;
  while (position < replay.size()) {
    const auto wanted = pieces.empty() ? replay.size() : pieces[next_piece++ % pieces.size()];
    const auto piece = replay.substr(position, wanted);
    const auto split = split_replay(position, capture.size(), piece.size());
    check_split(position, capture.size(), piece.size());
    if (split.verify_length > 0 &&
        std::string_view(capture).substr(split.verify_offset, split.verify_length) !=
            piece.substr(0, split.verify_length)) {
      mismatch = true;
      break;
    }
    capture.append(piece.substr(split.verify_length, split.append_length));
    position += piece.size();
    // The replay never runs ahead of the capture: every byte it delivered is either verified or appended.
    FUZZ_CHECK(position <= capture.size());
  }
  if (diverges && !before.empty()) {
    FUZZ_CHECK(mismatch);
  } else {
    // A replay that agrees with the capture leaves the song whole: no gap, no repeat.
    FUZZ_CHECK(!mismatch);
    FUZZ_CHECK(capture == replay);
  }
  return 0;
}
