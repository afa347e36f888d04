#include "archive/song_copies.hpp"

#include "archive/paths.hpp"

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

}  // namespace serenade::archive
