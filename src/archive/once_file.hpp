#pragma once
// A file that appears under its name whole or not at all, and is written once even when other instances share the
// folder (NFS, CephFS): it is written under a temporary name no other writer uses (`<id>.<random>.tmp`), fsynced,
// then linked to its name. link(2) fails when the name exists, atomically on local file systems, NFS and CephFS
// alike, so a second writer learns that the file is already there instead of replacing it under its readers.
// Blocking file calls: run them where a slow disk holds no I/O thread.
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace serenade::archive {

// Gives `from` the name `to` too, unless `to` exists (std::errc::file_exists). Where the file system has no hard
// links the file is renamed instead, replacing `to`: such a folder is not one several instances can share.
std::error_code link_unless_present(const std::string& from, const std::string& to);

class once_file {
 public:
  // Creates the temporary file in `dir` for the file named `stem` (a session id). Throws std::system_error.
  once_file(std::string dir, std::string_view stem);
  // Removes the temporary name: once put in place the file lives on under its own.
  ~once_file();
  once_file(const once_file&) = delete;
  once_file& operator=(const once_file&) = delete;

  int fd() const { return fd_; }
  std::error_code write(std::span<const char> bytes);
  // fsync, then close: what put_in_place links is on the disk.
  std::error_code make_durable();
  // Links the file to `path` in the same folder and syncs the folder; std::errc::file_exists when another writer
  // (another instance, an earlier run) was first, and its file stays.
  std::error_code put_in_place(const std::string& path);

  const std::string& temporary_path() const { return temporary_path_; }

 private:
  std::string dir_;
  std::string temporary_path_;
  int fd_ = -1;
};

}  // namespace serenade::archive
