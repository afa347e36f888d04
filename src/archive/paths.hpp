#pragma once
// Where a song's files live. Only complete, verified files ever carry a final name:
//   <capture>/<id>.part          the live capture while it grows (append-only), in this instance's capture folder
//   <archive>/<id>.live.mp3      the complete live capture (fsynced, then linked or copied from .part)
//   <archive>/<id>.<random>.tmp  a file of the archive while one writer writes it (archive/once_file.hpp)
//   <archive>/<id>.mp3           the final copy: downloaded from Sonauto's CDN, verified, fsynced, linked from .tmp
//   <archive>/<id>.download-tag  the ID3v2 tag a download carries in front of the song's frames (derived, remade at will)
// The capture folder is the archive folder unless --capture-dir says otherwise; the archive folder may be shared
// by several instances, the capture folder never.
#include <chrono>
#include <string>
#include <string_view>

namespace serenade::archive {

// The names' endings; the temporary ones are what a start-up clean-up looks for.
inline constexpr std::string_view capture_suffix = ".part";
inline constexpr std::string_view live_copy_suffix = ".live.mp3";
inline constexpr std::string_view temporary_suffix = ".tmp";
inline constexpr std::string_view final_suffix = ".mp3";
inline constexpr std::string_view download_tag_suffix = ".download-tag";

// A writer changes its temporary file at least every --stream-read-timeout (600 s) until it puts it in place, so
// one untouched for this long was left by a writer that died. A day leaves room for any timeout and for clocks
// that disagree between the instances and a shared folder's server.
inline constexpr std::chrono::hours abandoned_temporary_age{24};

std::string capture_path(const std::string& capture_dir, const std::string& session_id);
std::string live_copy_path(const std::string& archive_dir, const std::string& session_id);
std::string final_path(const std::string& archive_dir, const std::string& session_id);
std::string download_tag_path(const std::string& archive_dir, const std::string& session_id);
// A new temporary name for a file of `stem` (a session id): no other writer, here or on another instance, uses it.
std::string temporary_path_for(const std::string& archive_dir, std::string_view stem);

// fsync of the folder, so that a new name inside it survives a crash. False on failure (errno set).
bool sync_directory(const std::string& dir);

}  // namespace serenade::archive
