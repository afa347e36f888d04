#pragma once
// Handing freed memory back to the system after a crowd has left. glibc keeps what listeners freed in its
// arenas, so a spike would otherwise stay in RSS until the next one reuses it (docs/performance.md,
// "Memory handed back").
#include <algorithm>
#include <cstddef>

namespace serenade::core {

// Decides when a release is worth it: the connection count has fallen at least `min_drop` below the highest
// count since the last release. Fed once per period with the count now and the most open at once during the
// period (a crowd can come and go between two readings). Not thread-safe (one caller).
class crowd_ebb {
 public:
  explicit crowd_ebb(std::size_t min_drop) : min_drop_(min_drop) {}

  // True when memory should be released now; the peak then starts again from `connections`.
  bool observe(std::size_t connections, std::size_t peak_meanwhile) {
    peak_ = std::max({peak_, peak_meanwhile, connections});
    if (peak_ - connections < min_drop_) return false;
    peak_ = connections;
    return true;
  }

 private:
  std::size_t min_drop_;
  std::size_t peak_ = 0;
};

// Returns free heap pages to the system (glibc's malloc_trim; nothing elsewhere). It walks every arena under
// its lock, so it belongs on a blocking pool, not on an I/O thread.
void release_free_memory();

// The process's resident set in bytes (/proc/self/statm); 0 when unknown.
std::size_t resident_bytes();

}  // namespace serenade::core
