// The MP3 frame walk (archive/mp3_frames.cpp) over bytes from Sonauto's stream or CDN: scan_mp3 judges a whole
// song, whole_frames_prefix cuts growing live audio, frame_offsets lists the frames.
//
// Input: the file's bytes.
#include "archive/mp3_frames.hpp"
#include "check.hpp"

#include <cstdint>
#include <span>

namespace archive = serenade::archive;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const auto scan = archive::scan_mp3(bytes);
  const auto prefix = archive::whole_frames_prefix(bytes);
  const auto offsets = archive::frame_offsets(bytes);

  FUZZ_CHECK(scan.audio_start <= scan.audio_end && scan.audio_end <= size);
  FUZZ_CHECK(scan.complete == scan.problem.empty());
  if (scan.complete) FUZZ_CHECK(scan.frames > 0);
  FUZZ_CHECK(prefix == (scan.frames == 0 ? 0 : scan.audio_end));
  FUZZ_CHECK(offsets.size() == scan.frames);
  FUZZ_CHECK((scan.frames == 0) == (scan.duration_seconds == 0.0));

  // The frames lie end to end from audio_start to audio_end, each a header the parser accepts.
  std::size_t expected = scan.audio_start;
  for (const auto offset : offsets) {
    FUZZ_CHECK(offset == expected);
    const auto header = archive::parse_frame_header(bytes.subspan(offset));
    FUZZ_CHECK(header.has_value());
    FUZZ_CHECK(header->length >= 4);
    expected = offset + header->length;
    FUZZ_CHECK(expected <= size);
  }
  if (!offsets.empty()) FUZZ_CHECK(expected == scan.audio_end);

  // Live audio is cut at whole_frames_prefix and grows: a cut is exactly whole frames, and no earlier cut of
  // the same bytes reaches further.
  if (prefix > 0) FUZZ_CHECK(archive::whole_frames_prefix(bytes.first(prefix)) == prefix);
  const std::size_t earlier = size == 0 ? 0 : data[0] * size / 256;
  FUZZ_CHECK(archive::whole_frames_prefix(bytes.first(earlier)) <= prefix);
  return 0;
}
