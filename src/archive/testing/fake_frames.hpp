#pragma once
// MPEG-1 Layer III frame headers (128 kbps, 44.1 kHz, 417 bytes a frame) around filler: a file the song check
// and the frame scan accept, for tests of what archive does with a song's bytes.
#include <string>

namespace serenade::archive::testing {

inline constexpr std::size_t fake_frame_bytes = 417;

inline std::string fake_frames(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    std::string frame(fake_frame_bytes, static_cast<char>(i));
    frame[0] = static_cast<char>(0xFF);
    frame[1] = static_cast<char>(0xFB);
    frame[2] = static_cast<char>(0x90);
    frame[3] = static_cast<char>(0x64);
    out += frame;
  }
  return out;
}

}  // namespace serenade::archive::testing
