#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// Stand-in audio for the Sonauto simulator: real, listenable MP3 that is cheap to make and
// identical every time, so tests can compare bytes and a human can still tell songs apart.
namespace serenade::sim {

inline constexpr int synth_sample_rate = 44100;

// One MP3 encode of a synthesized song. Encodes of the same seed and length carry the same PCM, so they play
// the same music in the same time, with different bytes.
struct mp3_encoding {
  int bitrate_kbps = 192;
  int quality = 7;          // LAME's algorithm choice, 0 (best, slowest) to 9 (fastest); 7, 8 and 9 encode alike
  std::string title;        // non-empty: an ID3v2 tag with this title in front, an ID3v1 tag (128 bytes) behind
  bool info_frame = false;  // a Xing/LAME "Info" frame (frame and byte counts, encoder delay) before the audio
};

// A short melody (chords, bass, lead, light percussion) whose tempo, key, mode, progression
// and tune all come from a hash of `seed`, encoded as 44.1 kHz stereo CBR MP3.
// The output is only plain audio frames: no ID3 tag and no Xing/Info/LAME frame, so every
// frame-aligned prefix is a playable file. Same arguments give the same bytes on a given
// build and machine. Throws std::invalid_argument unless 0 < seconds <= 1800 and the bitrate
// is an MPEG-1 Layer III one (32..320 kbps); std::runtime_error if LAME fails.
std::vector<std::uint8_t> synthesize_song(std::string_view seed, double seconds, int bitrate_kbps = 192);

// The same song in several encodes at once (one render of the PCM feeds them all), in the order asked. An
// encode without a title or Info frame is exactly synthesize_song's bytes for its bitrate at quality 7.
// Throws std::invalid_argument for a bad length, bitrate or quality (0-9).
std::vector<std::vector<std::uint8_t>> synthesize_encodings(std::string_view seed, double seconds,
                                                            std::span<const mp3_encoding> encodings);

// Byte offset of every frame of a song made by synthesize_song with this bitrate (0: the first frame's). Its
// frames all have the same header but for the padding bit, so their lengths follow from it; the walk stops at
// anything else, a tag included.
std::vector<std::size_t> synth_frame_offsets(std::span<const std::uint8_t> song, int bitrate_kbps = 0);

// Play time of one Layer III frame: 1152 samples at MPEG-1 rates, 576 below 32 kHz.
double mp3_seconds_per_frame(int sample_rate = synth_sample_rate);

}  // namespace serenade::sim
