#include "sim/encodes.hpp"

#include "sim/song_synth.hpp"
#include "sim/task.hpp"

#include <string>

namespace serenade::sim {

namespace {

constexpr int final_bitrate = 192;       // what Serenade asks for (output_bit_rate)
constexpr int separate_stream_bitrate = 128;  // the stream's own, when the final file is encoded apart

mp3_encoding stream_encoding(final_encode_mode mode) {
  return {.bitrate_kbps = mode == final_encode_mode::same ? final_bitrate : separate_stream_bitrate};
}

// A final encode made apart from the stream: tagged as a download would be, at LAME's default quality.
mp3_encoding final_encoding(std::string_view task_id) {
  return {.bitrate_kbps = final_bitrate,
          .quality = 5,
          .title = "Simulated song " + std::string(task_id.substr(0, 8)),
          .info_frame = true};
}

song_bytes share(std::vector<std::uint8_t>&& bytes) {
  return std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
}

}  // namespace

song_encodes encode_song(std::string_view task_id, double seconds, const task_faults& faults) {
  std::vector<mp3_encoding> wanted{stream_encoding(faults.final_encode)};
  if (faults.final_encode == final_encode_mode::different) wanted.push_back(final_encoding(task_id));
  auto made = synthesize_encodings(task_id, seconds, wanted);
  song_encodes out;
  out.stream_bitrate_kbps = wanted.front().bitrate_kbps;
  out.stream = share(std::move(made[0]));
  if (made.size() > 1) out.final_file = share(std::move(made[1]));
  return out;
}

void add_missing_encodes(task& t, const task_faults& faults) {
  {
    std::lock_guard lock(t.mutex);
    if (faults.final_encode != final_encode_mode::different || t.final_file) return;
  }
  const auto encoding = final_encoding(t.id);
  auto made = share(std::move(synthesize_encodings(t.id, t.song_seconds, std::span(&encoding, 1)).front()));
  std::lock_guard lock(t.mutex);
  if (!t.final_file) t.final_file = std::move(made);
}

}  // namespace serenade::sim
