#include "live/replay.hpp"

#include <algorithm>

namespace serenade::live {

replay_split split_replay(std::uint64_t position, std::uint64_t stored, std::uint64_t piece) {
  const std::uint64_t repeated = position < stored ? std::min(piece, stored - position) : 0;
  return {position, repeated, piece - repeated};
}

}  // namespace serenade::live
