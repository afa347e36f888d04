#pragma once
// Which of a song's files serve it once it is no longer live, and what a retry throws away.
#include <optional>
#include <string>
#include <vector>

namespace serenade::archive {

struct servable_copy {
  std::string path;
  std::optional<std::string> etag;  // the verified final copy's: its quoted SHA-256; else made from size and mtime
  bool immutable = false;           // the verified final copy never changes: cacheable for good
};

// In order of preference: the verified final copy (when `verified_sha256` says one was recorded), then the
// complete live capture. The first that opens serves; neither opening means the song is still live (or lost).
std::vector<servable_copy> copies_to_serve(const std::string& archive_dir, const std::string& session_id,
                                           const std::optional<std::string>& verified_sha256);

// Removes every file of a failed attempt, so that none is taken for the next attempt's beginning.
void forget_attempt(const std::string& archive_dir, const std::string& session_id);

}  // namespace serenade::archive
