#pragma once
// Checks a song file before it may carry a final name: it must be MP3 frames from the first byte to the
// last, and we record its size, SHA-256 and duration. Blocking file I/O: run it on the blocking pool.
#include <cstdint>
#include <optional>
#include <string>

namespace serenade::archive {

struct song_facts {
  std::uint64_t size = 0;
  std::string sha256;  // lowercase hex
  std::int64_t duration_ms = 0;
};

struct song_check {
  std::optional<song_facts> facts;  // set when the file is a complete MP3
  std::string problem;              // why not, otherwise
};

song_check check_song_file(const std::string& path);

// Where a song file's MP3 frames are: after any ID3v2 tag at its front, before any ID3v1 trailer.
struct audio_frames {
  std::uint64_t start = 0;
  std::uint64_t end = 0;  // one past the last frame
};
// Nullopt when the file cannot be read or is not a complete MP3.
std::optional<audio_frames> audio_frames_of(const std::string& path);

}  // namespace serenade::archive
