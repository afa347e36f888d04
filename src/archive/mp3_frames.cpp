#include "archive/mp3_frames.hpp"

#include <array>
#include <string_view>
#include <fmt/format.h>

namespace serenade::archive {

namespace {

constexpr std::array<int, 16> mpeg1_layer3_kbps = {0,   32,  40,  48,  56,  64,  80,  96,
                                                   112, 128, 160, 192, 224, 256, 320, 0};
constexpr std::array<int, 16> mpeg2_layer3_kbps = {0,  8,  16, 24,  32,  40,  48,  56,
                                                   64, 80, 96, 112, 128, 144, 160, 0};
constexpr std::array<int, 3> mpeg1_sample_rates = {44100, 48000, 32000};

constexpr std::size_t id3v2_header_size = 10;
constexpr std::size_t id3v1_size = 128;
constexpr std::size_t npos = static_cast<std::size_t>(-1);

// Where the ID3v2 tag ends, npos when there is no tag, or size+1 when it is cut off:
// callers must tell "no tag" from "tag not yet fully here".
std::size_t id3v2_end(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 3 || bytes[0] != 'I' || bytes[1] != 'D' || bytes[2] != '3') return npos;
  if (bytes.size() < id3v2_header_size) return bytes.size() + 1;
  // A real tag has a sane version and a syncsafe size; otherwise "ID3" is just stray bytes.
  if (bytes[3] == 0xFF || bytes[4] == 0xFF) return npos;
  std::size_t size = 0;
  for (std::size_t i = 6; i < 10; ++i) {
    if (bytes[i] & 0x80) return npos;
    size = (size << 7) | bytes[i];
  }
  const bool has_footer = (bytes[5] & 0x10) != 0;
  const std::size_t end = id3v2_header_size + size + (has_footer ? id3v2_header_size : 0);
  return end <= bytes.size() ? end : bytes.size() + 1;
}

enum class stop_reason {
  end_of_data,
  id3v1_trailer,
  truncated_id3v2,
  no_sync,
  truncated_header,
  truncated_frame,
  format_change,
};

struct walk_result {
  stop_reason reason = stop_reason::end_of_data;
  std::size_t audio_start = 0;
  std::size_t audio_end = 0;  // also where the walk stopped
  std::size_t frames = 0;
  std::uint64_t samples = 0;
  std::optional<frame_header> first;
  std::optional<frame_header> bad;  // the offending header for truncated_frame/format_change
};

bool looks_like_partial_header(std::span<const std::uint8_t> rest) {
  if (rest.empty() || rest.size() >= 4 || rest[0] != 0xFF) return false;
  return rest.size() == 1 || (rest[1] & 0xE0) == 0xE0;
}

// The one walker behind every public function, so they can never disagree about where
// frames are; `on_frame` sees each whole frame's offset and header.
template <class OnFrame>
walk_result walk_frames(std::span<const std::uint8_t> bytes, OnFrame&& on_frame) {
  walk_result out;
  std::size_t pos = 0;
  if (const std::size_t tag_end = id3v2_end(bytes); tag_end != npos) {
    if (tag_end > bytes.size()) {
      out.reason = stop_reason::truncated_id3v2;
      return out;
    }
    pos = tag_end;
    while (pos < bytes.size() && bytes[pos] == 0) ++pos;
  }
  out.audio_start = pos;
  out.audio_end = pos;

  std::size_t trailer = npos;
  if (bytes.size() >= pos + id3v1_size) {
    const std::size_t at = bytes.size() - id3v1_size;
    if (bytes[at] == 'T' && bytes[at + 1] == 'A' && bytes[at + 2] == 'G') trailer = at;
  }

  for (;;) {
    if (pos == bytes.size()) {
      out.reason = stop_reason::end_of_data;
      break;
    }
    // A frame may straddle `trailer` when "TAG" happens to sit inside audio data; only a
    // frame boundary landing exactly there makes it a trailer.
    if (pos == trailer) {
      out.reason = stop_reason::id3v1_trailer;
      break;
    }
    const auto rest = bytes.subspan(pos);
    const auto header = parse_frame_header(rest);
    if (!header) {
      out.reason = looks_like_partial_header(rest) ? stop_reason::truncated_header : stop_reason::no_sync;
      break;
    }
    if (out.first && (header->version != out.first->version || header->sample_rate != out.first->sample_rate)) {
      out.reason = stop_reason::format_change;
      out.bad = header;
      break;
    }
    if (header->length > rest.size()) {
      out.reason = stop_reason::truncated_frame;
      out.bad = header;
      break;
    }
    if (!out.first) out.first = header;
    on_frame(pos, *header);
    ++out.frames;
    out.samples += static_cast<std::uint64_t>(header->samples);
    pos += header->length;
    out.audio_end = pos;
  }
  return out;
}

std::string_view version_name(int version) {
  return version == mpeg_1 ? "1" : version == mpeg_2 ? "2" : "2.5";
}

std::string describe(const walk_result& walk, std::size_t size) {
  const std::size_t at = walk.audio_end;
  switch (walk.reason) {
    case stop_reason::end_of_data:
    case stop_reason::id3v1_trailer:
      return walk.frames == 0 ? std::string("no MPEG audio frames") : std::string();
    case stop_reason::truncated_id3v2:
      return fmt::format("truncated ID3v2 tag at byte 0 (file has {} bytes)", size);
    case stop_reason::no_sync:
      return fmt::format("no frame sync at byte {}", at);
    case stop_reason::truncated_header:
      return fmt::format("truncated frame header at byte {}", at);
    case stop_reason::truncated_frame:
      return fmt::format("truncated frame at byte {} ({} of {} bytes present)", at, size - at, walk.bad->length);
    case stop_reason::format_change:
      return fmt::format("frame at byte {} switches from MPEG-{} {} Hz to MPEG-{} {} Hz", at,
                         version_name(walk.first->version), walk.first->sample_rate,
                         version_name(walk.bad->version), walk.bad->sample_rate);
  }
  return "unknown problem";
}

}  // namespace

std::optional<frame_header> parse_frame_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 4) return std::nullopt;
  const std::uint8_t b1 = bytes[1], b2 = bytes[2], b3 = bytes[3];
  if (bytes[0] != 0xFF || (b1 & 0xE0) != 0xE0) return std::nullopt;

  frame_header h;
  switch ((b1 >> 3) & 0x3) {
    case 0: h.version = mpeg_2_5; break;
    case 2: h.version = mpeg_2; break;
    case 3: h.version = mpeg_1; break;
    default: return std::nullopt;
  }
  if (((b1 >> 1) & 0x3) != 1) return std::nullopt;  // 01 encodes Layer III
  h.layer = 3;

  const unsigned bitrate_index = b2 >> 4;
  const unsigned rate_index = (b2 >> 2) & 0x3;
  // Emphasis 2 is reserved; rejecting it cuts down false syncs inside audio data.
  if (bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 || (b3 & 0x3) == 2) return std::nullopt;

  h.bitrate_kbps = (h.version == mpeg_1 ? mpeg1_layer3_kbps : mpeg2_layer3_kbps)[bitrate_index];
  h.sample_rate = mpeg1_sample_rates[rate_index] / (h.version == mpeg_1 ? 1 : h.version == mpeg_2 ? 2 : 4);
  h.padding = (b2 & 0x2) != 0;
  h.channels = (b3 >> 6) == 3 ? 1 : 2;
  h.samples = h.version == mpeg_1 ? 1152 : 576;
  // samples/8 bytes per bit-per-second: 144 for 1152 samples, 72 for 576.
  const std::size_t factor = static_cast<std::size_t>(h.samples) / 8;
  h.length = factor * 1000 * static_cast<std::size_t>(h.bitrate_kbps) / static_cast<std::size_t>(h.sample_rate) +
             (h.padding ? 1 : 0);
  return h;
}

scan_result scan_mp3(std::span<const std::uint8_t> bytes) {
  const walk_result walk = walk_frames(bytes, [](std::size_t, const frame_header&) {});
  scan_result out;
  out.frames = walk.frames;
  out.audio_start = walk.audio_start;
  out.audio_end = walk.audio_end;
  if (walk.first) out.duration_seconds = static_cast<double>(walk.samples) / walk.first->sample_rate;
  out.complete = walk.frames > 0 &&
                 (walk.reason == stop_reason::end_of_data || walk.reason == stop_reason::id3v1_trailer);
  out.problem = describe(walk, bytes.size());
  return out;
}

std::size_t whole_frames_prefix(std::span<const std::uint8_t> bytes) {
  const walk_result walk = walk_frames(bytes, [](std::size_t, const frame_header&) {});
  return walk.frames == 0 ? 0 : walk.audio_end;
}

std::vector<std::size_t> frame_offsets(std::span<const std::uint8_t> bytes) {
  std::vector<std::size_t> offsets;
  // Sized for 128 kbps frames: exact or generous for typical songs, low bitrates still grow.
  offsets.reserve(bytes.size() / 417 + 1);
  walk_frames(bytes, [&](std::size_t offset, const frame_header&) { offsets.push_back(offset); });
  return offsets;
}

}  // namespace serenade::archive
