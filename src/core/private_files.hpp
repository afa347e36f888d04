#pragma once
// Serenade's files hold the songs people made for someone they love, the database whose session ids are the keys
// of the share links, and the webhook secret: no other user of the machine may read them. New files and folders
// are private through the process umask; these helpers also close folders and files left open by an older run.
#include <string>

namespace serenade::core {

// From now on every file and folder this process creates is its user's alone (umask 077). Call it before any
// thread starts: the umask is process-wide.
void keep_new_files_private();

// Creates `folder` and its missing parents, or, when it exists and other users may open it, takes their access
// away (logged as `folder_made_private`, a failure to do so as `not_made_private`). For folders that belong to
// Serenade alone. True when the folder's mode was changed. Throws std::filesystem::filesystem_error when the
// folder cannot be created.
bool make_folder_private(const std::string& folder);

// Takes other users' access to an existing file away (logged); a missing file is fine. True when changed.
bool make_file_private(const std::string& path);

// For a folder Serenade may share with others (the database's, e.g. a home folder): nothing is changed, but a
// folder other users may open is logged as `folder_open_to_others`. True when it is open to them.
bool warn_if_open_to_others(const std::string& folder);

}  // namespace serenade::core
