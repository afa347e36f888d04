#include "http/prefixed_body.hpp"

#include <algorithm>

namespace serenade::http {

prefixed_body_slice slice_prefixed_body(std::uint64_t prefix_size, std::uint64_t offset, std::uint64_t length) {
  prefixed_body_slice slice;
  if (offset < prefix_size) {
    slice.prefix_offset = offset;
    slice.prefix_length = std::min(length, prefix_size - offset);
  }
  slice.file_length = length - slice.prefix_length;
  slice.file_offset = offset + slice.prefix_length - std::min(prefix_size, offset + slice.prefix_length);
  return slice;
}

}  // namespace serenade::http
