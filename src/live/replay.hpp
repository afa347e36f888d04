#pragma once
// Sonauto's stream resends everything generated so far on every connection. When the hub reconnects it
// already holds `stored` bytes; each piece of the replay is split into the part that must match what is
// stored (verified, then skipped) and the part that is new (appended). Pure, so it is tested without I/O.
#include <cstdint>

namespace serenade::live {

struct replay_split {
  std::uint64_t verify_offset;  // where in the stored capture the verified part starts
  std::uint64_t verify_length;  // bytes of the piece that repeat stored bytes
  std::uint64_t append_length;  // bytes of the piece (after the verified ones) that are new
};

// position: bytes of this connection's replay already consumed; piece: the size of the next piece.
replay_split split_replay(std::uint64_t position, std::uint64_t stored, std::uint64_t piece);

}  // namespace serenade::live
