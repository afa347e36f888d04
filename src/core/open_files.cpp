#include "core/open_files.hpp"

#include <sys/resource.h>

namespace serenade::core {

open_files_limit raise_open_files_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  const auto as_count = [](rlim_t value) {
    return value == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(value);
  };
  return {as_count(limit.rlim_cur), as_count(limit.rlim_max)};
}

std::optional<std::string> open_files_problem(std::uint64_t connections, std::uint64_t reserved,
                                              open_files_limit limit) {
  if (limit.soft == 0) return std::nullopt;  // unknown: nothing to check against
  const auto needed = connections + reserved;
  if (needed <= limit.soft) return std::nullopt;
  return "--max-connections " + std::to_string(connections) + " needs " + std::to_string(needed) +
         " open files (" + std::to_string(reserved) + " more for songs, the database and upstream connections), " +
         "but at most " + std::to_string(limit.soft) + " may be open (hard limit " + std::to_string(limit.hard) +
         "): raise the limit (ulimit -n, LimitNOFILE=) or lower --max-connections to " +
         std::to_string(limit.soft > reserved ? limit.soft - reserved : 0);
}

}  // namespace serenade::core
