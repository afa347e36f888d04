#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

// Structural checks on MP3 files: we never decode audio, but we must know that a song we
// archive or relay is made of whole, contiguous frames, how long it plays, and where it can
// be cut without handing a player half a frame.
namespace serenade::archive {

// Values of frame_header::version; 25 stands for the unofficial but common MPEG-2.5.
inline constexpr int mpeg_1 = 1;
inline constexpr int mpeg_2 = 2;
inline constexpr int mpeg_2_5 = 25;

struct frame_header {
  int version = 0;       // mpeg_1, mpeg_2 or mpeg_2_5
  int layer = 0;         // always 3: only Layer III is accepted
  int bitrate_kbps = 0;
  int sample_rate = 0;   // Hz
  bool padding = false;  // one extra byte in this frame
  int channels = 0;      // 1 for mono, 2 for stereo, joint stereo and dual channel
  std::size_t length = 0;  // whole frame in bytes, header included
  int samples = 0;         // per channel: 1152 for MPEG-1, 576 for MPEG-2/2.5
};

// Reads the 4-byte header at the start of `bytes`. Free-format, bad bitrate, reserved
// version/sample rate/emphasis and layers other than III give nullopt, as does a short span.
std::optional<frame_header> parse_frame_header(std::span<const std::uint8_t> bytes);

struct scan_result {
  std::size_t frames = 0;         // contiguous valid frames from audio_start
  double duration_seconds = 0.0;  // of those frames
  std::size_t audio_start = 0;    // first frame byte (after an ID3v2 tag)
  std::size_t audio_end = 0;      // one past the last valid frame
  bool complete = false;          // frames cover everything up to the end or the ID3v1 trailer
  std::string problem;            // empty when complete; otherwise where and why the walk stopped
};

// Walks the frames of a whole file. An ID3v2 tag at the start (plus zero padding after it,
// which some taggers leave outside the declared size) and a 128-byte ID3v1 trailer are
// allowed; anything else that is not a frame stops the walk. Every frame must keep the
// first frame's version and sample rate, so a corrupted header is caught where it is.
scan_result scan_mp3(std::span<const std::uint8_t> bytes);

// Length of the longest prefix made of the ID3v2 tag (if any) and whole frames; 0 when not
// even one whole frame is there yet. Used to cut growing live audio at frame boundaries.
std::size_t whole_frames_prefix(std::span<const std::uint8_t> bytes);

// Byte offset of every frame of the contiguous run that scan_mp3 walks.
std::vector<std::size_t> frame_offsets(std::span<const std::uint8_t> bytes);

}  // namespace serenade::archive
