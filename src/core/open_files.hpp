#pragma once
// The open-files limit bounds how many clients the server can hold: every connection is a descriptor, and so
// are the files and upstream connections kept open beside them. At start-up the soft limit is raised as far as
// the hard limit allows (the usual soft default of 1024 is far below --max-connections), and a configuration
// that still cannot fit is refused: otherwise new clients hang unanswered, accept fails in a loop and song
// files cannot be opened, long after the start.
#include <cstdint>
#include <optional>
#include <string>

namespace serenade::core {

struct open_files_limit {
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

// Raises the soft limit to the hard one; returns the limits then in force.
open_files_limit raise_open_files_limit();

// Nothing when `connections` plus `reserved` descriptors fit under the soft limit; otherwise what to change.
std::optional<std::string> open_files_problem(std::uint64_t connections, std::uint64_t reserved,
                                              open_files_limit limit);

}  // namespace serenade::core
