#pragma once
// Where a song's files live in the archive folder. Only complete, verified files ever carry a final name:
//   <id>.part       the live capture while it grows (append-only)
//   <id>.live.mp3   the complete live capture (fsynced, then renamed from .part)
//   <id>.mp3.tmp    the final copy while it downloads
//   <id>.mp3        the final copy: downloaded from Sonauto's CDN, verified, fsynced, renamed from .tmp
#include <string>
#include <string_view>

namespace serenade::archive {

// The names' endings; the temporary ones are what a start-up clean-up looks for.
inline constexpr std::string_view capture_suffix = ".part";
inline constexpr std::string_view live_copy_suffix = ".live.mp3";
inline constexpr std::string_view download_suffix = ".mp3.tmp";
inline constexpr std::string_view final_suffix = ".mp3";

std::string capture_path(const std::string& archive_dir, const std::string& session_id);
std::string live_copy_path(const std::string& archive_dir, const std::string& session_id);
std::string download_path(const std::string& archive_dir, const std::string& session_id);
std::string final_path(const std::string& archive_dir, const std::string& session_id);

// fsync of the folder, so that a rename inside it survives a crash. False on failure (errno set).
bool sync_directory(const std::string& dir);

}  // namespace serenade::archive
