#pragma once
// A body made of bytes held in memory followed by a run of a file (a download's tag, then the song's frames),
// answered with ranges like a file of its own. This cuts a range of that body into its two parts.
#include <cstdint>

namespace serenade::http {

struct prefixed_body_slice {
  std::uint64_t prefix_offset = 0;  // within the prefix
  std::uint64_t prefix_length = 0;
  std::uint64_t file_offset = 0;  // within the file's run (add where the run starts in the file)
  std::uint64_t file_length = 0;
};

// The parts of the body's bytes [offset, offset + length) when its first `prefix_size` bytes are the prefix.
prefixed_body_slice slice_prefixed_body(std::uint64_t prefix_size, std::uint64_t offset, std::uint64_t length);

}  // namespace serenade::http
