#include "core/private_files.hpp"

#include "core/log.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

namespace serenade::core {

namespace fs = std::filesystem;

namespace {

constexpr auto others_access = fs::perms::group_all | fs::perms::others_all;

bool open_to_others(fs::perms mode) { return (mode & others_access) != fs::perms::none; }

std::string octal(fs::perms mode) { return fmt::format("{:04o}", static_cast<unsigned>(mode & fs::perms::mask)); }

// Removes group and other access from an existing path; logs what was changed, or why it could not be.
bool close_to_others(const std::string& path, const fs::file_status& status, std::string_view event) {
  if (!fs::exists(status) || !open_to_others(status.permissions())) return false;
  std::error_code ec;
  fs::permissions(path, others_access, fs::perm_options::remove, ec);
  if (ec) {
    SERENADE_LOG(warn, "not_made_private", "path", path, "mode", octal(status.permissions()), "error", ec.message());
    return false;
  }
  SERENADE_LOG(warn, event, "path", path, "mode_was", octal(status.permissions()));
  return true;
}

}  // namespace

void keep_new_files_private() { ::umask(S_IRWXG | S_IRWXO); }

bool make_folder_private(const std::string& folder) {
  fs::create_directories(folder);
  return close_to_others(folder, fs::status(folder), "folder_made_private");
}

bool make_file_private(const std::string& path) {
  std::error_code ec;
  return close_to_others(path, fs::status(path, ec), "file_made_private");
}

bool warn_if_open_to_others(const std::string& folder) {
  std::error_code ec;
  const auto status = fs::status(folder, ec);
  if (!fs::is_directory(status) || !open_to_others(status.permissions())) return false;
  SERENADE_LOG(warn, "folder_open_to_others", "path", folder, "mode", octal(status.permissions()), "advice",
               "make it private (chmod 700) unless other users must enter it");
  return true;
}

}  // namespace serenade::core
