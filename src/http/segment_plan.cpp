#include "http/segment_plan.hpp"

namespace serenade::http {

std::uint64_t lead_body_bytes(std::uint64_t head_size, std::uint64_t body_size, std::uint64_t segment_size) {
  if (segment_size == 0 || head_size >= segment_size) return 0;
  // The first segment carries what is left over after whole segments (a whole one when nothing is).
  const auto total = head_size + body_size;
  const auto remainder = total % segment_size;
  const auto first = remainder == 0 ? segment_size : remainder;
  // When the head does not fit in it, the head alone followed by the body already takes the fewest segments.
  return first > head_size ? first - head_size : 0;
}

}  // namespace serenade::http
