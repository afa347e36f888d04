#pragma once
// The encodes of a task's song: the live stream's, fixed at creation, and those the switches add (the separate
// final file of final_encode different, the other encode of replay reencoded). All come from one seed, so they
// play the same music in the same time.
#include "sim/faults.hpp"

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace serenade::sim {

struct task;
using song_bytes = std::shared_ptr<const std::vector<std::uint8_t>>;

struct song_encodes {
  int stream_bitrate_kbps = 192;
  song_bytes stream;
  song_bytes final_file;  // null unless the switches ask for a separate one
  song_bytes reencoded;   // likewise
};

// The encodes a new task with these switches needs, in one render. Blocking: seconds of CPU for a long song.
song_encodes encode_song(std::string_view task_id, double seconds, const task_faults& faults);

// Adds to `t` the encodes `faults` need that it has not got yet. Blocking, like encode_song.
void add_missing_encodes(task& t, const task_faults& faults);

}  // namespace serenade::sim
