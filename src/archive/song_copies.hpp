#pragma once
// Which of a song's files serve it once it is no longer live, and what a retry or a start throws away.
#include <cstddef>
#include <functional>
#include <optional>
#include <set>
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
void forget_attempt(const std::string& capture_dir, const std::string& archive_dir, const std::string& session_id);
// Removes every file of a song taken back: its attempt's and what was derived from it (the download's tag).
void forget_song(const std::string& capture_dir, const std::string& archive_dir, const std::string& session_id);

// At start, before any capture runs: removes the capture of every song not in `resumable_sessions` from this
// instance's capture folder (an unfinished song resumes its own), and the temporary files of the archive folder
// untouched for abandoned_temporary_age. Never a younger one: on a shared archive folder another instance may be
// writing it right now, and a download of this instance's previous run is simply started anew under another name.
// Only files named as archive names them are touched. Returns how many were removed.
std::size_t remove_dead_temporary_files(const std::string& capture_dir, const std::string& archive_dir,
                                        const std::set<std::string, std::less<>>& resumable_sessions);

}  // namespace serenade::archive
