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

// The stream's bitrate, so frame sizes and timing match, at another LAME quality (7, 8 and 9 encode alike).
mp3_encoding replay_encoding(int stream_bitrate_kbps) { return {.bitrate_kbps = stream_bitrate_kbps, .quality = 5}; }

song_bytes share(std::vector<std::uint8_t>&& bytes) {
  return std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
}

}  // namespace

song_encodes encode_song(std::string_view task_id, double seconds, const task_faults& faults) {
  std::vector<mp3_encoding> wanted{stream_encoding(faults.final_encode)};
  const bool separate_final = faults.final_encode == final_encode_mode::different;
  const bool reencoded = faults.replay == replay_mode::reencoded;
  if (separate_final) wanted.push_back(final_encoding(task_id));
  if (reencoded) wanted.push_back(replay_encoding(wanted.front().bitrate_kbps));
  auto made = synthesize_encodings(task_id, seconds, wanted);
  song_encodes out;
  out.stream_bitrate_kbps = wanted.front().bitrate_kbps;
  out.stream = share(std::move(made[0]));
  if (separate_final) out.final_file = share(std::move(made[1]));
  if (reencoded) out.reencoded = share(std::move(made.back()));
  return out;
}

void add_missing_encodes(task& t, const task_faults& faults) {
  bool need_final = false, need_replay = false;
  {
    std::lock_guard lock(t.mutex);
    need_final = faults.final_encode == final_encode_mode::different && !t.final_file;
    need_replay = faults.replay == replay_mode::reencoded && !t.reencoded;
  }
  std::vector<mp3_encoding> wanted;
  if (need_final) wanted.push_back(final_encoding(t.id));
  if (need_replay) wanted.push_back(replay_encoding(t.stream_bitrate_kbps));
  if (wanted.empty()) return;
  auto made = synthesize_encodings(t.id, t.song_seconds, wanted);
  std::lock_guard lock(t.mutex);
  if (need_final && !t.final_file) t.final_file = share(std::move(made.front()));
  if (need_replay && !t.reencoded) t.reencoded = share(std::move(made.back()));
}

}  // namespace serenade::sim
