#include "archive/song_copies.hpp"

#include "archive/paths.hpp"
#include "core/ids.hpp"

#include <filesystem>

namespace serenade::archive {

std::vector<servable_copy> copies_to_serve(const std::string& archive_dir, const std::string& session_id,
                                           const std::optional<std::string>& verified_sha256) {
  std::vector<servable_copy> copies;
  if (verified_sha256) copies.push_back({final_path(archive_dir, session_id), "\"" + *verified_sha256 + "\"", true});
  // Never changed once renamed into place, so size and mtime make a strong validator.
  copies.push_back({live_copy_path(archive_dir, session_id), std::nullopt, false});
  return copies;
}

void forget_attempt(const std::string& archive_dir, const std::string& session_id) {
  for (const auto& path : {capture_path(archive_dir, session_id), live_copy_path(archive_dir, session_id),
                           download_path(archive_dir, session_id), final_path(archive_dir, session_id)}) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
}

std::size_t remove_dead_temporary_files(const std::string& archive_dir,
                                        const std::set<std::string, std::less<>>& resumable_sessions) {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(archive_dir, ec)) {
    const auto name = entry.path().filename().string();
    const auto session_before = [&](std::string_view suffix) {
      return name.ends_with(suffix) ? std::string_view(name).substr(0, name.size() - suffix.size()) : "";
    };
    const auto download_of = session_before(download_suffix);
    const auto capture_of = session_before(capture_suffix);
    const bool dead = ids::looks_like_token(download_of) ||
                      (ids::looks_like_token(capture_of) && !resumable_sessions.contains(capture_of));
    std::error_code ignored;
    if (dead && std::filesystem::remove(entry.path(), ignored)) ++removed;
  }
  return removed;
}

}  // namespace serenade::archive
