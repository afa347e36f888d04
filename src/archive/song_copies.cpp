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

void forget_attempt(const std::string& capture_dir, const std::string& archive_dir, const std::string& session_id) {
  for (const auto& path : {capture_path(capture_dir, session_id), live_copy_path(archive_dir, session_id),
                           final_path(archive_dir, session_id)}) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
}

void forget_song(const std::string& capture_dir, const std::string& archive_dir, const std::string& session_id) {
  forget_attempt(capture_dir, archive_dir, session_id);
  std::error_code ignored;
  std::filesystem::remove(download_tag_path(archive_dir, session_id), ignored);
}

namespace {

// Removes the files of `dir` whose names `dead` picks; how many went.
template <typename Rule>
std::size_t remove_from(const std::string& dir, const Rule& dead) {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code ignored;
    if (dead(entry.path().filename().string(), entry) && std::filesystem::remove(entry.path(), ignored)) ++removed;
  }
  return removed;
}

// The session a file of the archive's naming belongs to: the token its name starts with, when it has `suffix`.
std::string_view session_of(std::string_view name, std::string_view suffix) {
  if (!name.ends_with(suffix)) return {};
  const auto session = name.substr(0, name.find('.'));
  return ids::looks_like_token(session) ? session : std::string_view{};
}

}  // namespace

std::size_t remove_dead_temporary_files(const std::string& capture_dir, const std::string& archive_dir,
                                        const std::set<std::string, std::less<>>& resumable_sessions) {
  const auto abandoned_capture = [&](std::string_view name, const std::filesystem::directory_entry&) {
    const auto session = session_of(name, capture_suffix);
    return !session.empty() && name.size() == session.size() + capture_suffix.size() &&
           !resumable_sessions.contains(session);
  };
  const auto oldest_kept = std::filesystem::file_time_type::clock::now() - abandoned_temporary_age;
  const auto abandoned_temporary = [&](std::string_view name, const std::filesystem::directory_entry& entry) {
    std::error_code unknown;
    const auto written = entry.last_write_time(unknown);
    return !session_of(name, temporary_suffix).empty() && !unknown && written < oldest_kept;
  };
  return remove_from(capture_dir, abandoned_capture) + remove_from(archive_dir, abandoned_temporary);
}

}  // namespace serenade::archive
