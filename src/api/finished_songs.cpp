#include "api/finished_songs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace serenade::api {

open_song::open_song(int fd_, std::string path_, http::file_identity identity_,
                     std::chrono::steady_clock::time_point opened_)
    : fd(fd_), path(std::move(path_)), identity(std::move(identity_)), opened(opened_) {}

open_song::~open_song() { ::close(fd); }

std::shared_ptr<const open_song> open_song_file(const std::string& path, std::optional<std::string> etag,
                                                std::chrono::steady_clock::time_point now) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    return nullptr;
  }
  http::file_identity identity;
  identity.length = static_cast<std::uint64_t>(info.st_size);
  identity.last_modified_unix = info.st_mtim.tv_sec;
  identity.last_modified = http::http_date(info.st_mtim.tv_sec);
  identity.etag = etag ? std::move(*etag)
                       : fmt::format("\"{:x}-{:x}{:09d}\"", identity.length, info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
  return std::make_shared<const open_song>(fd, path, std::move(identity), now);
}

std::shared_ptr<const open_song> finished_songs::find(std::string_view session_id,
                                                      std::chrono::steady_clock::time_point now) {
  std::shared_ptr<const open_song> song;
  {
    std::lock_guard lock(mutex_);
    const auto it = songs_.find(session_id);
    if (it == songs_.end()) return nullptr;
    song = it->second;
  }
  if (now - song->opened < revalidate_) return song;
  auto fresh = open_song_file(song->path, song->identity.etag, now);
  std::lock_guard lock(mutex_);
  const auto it = songs_.find(session_id);
  if (fresh) {
    if (it != songs_.end()) it->second = fresh;
  } else if (it != songs_.end()) {
    songs_.erase(it);
  }
  return fresh;
}

void finished_songs::remember(const std::string& session_id, std::shared_ptr<const open_song> song) {
  std::lock_guard lock(mutex_);
  if (songs_.size() >= capacity_ && !songs_.contains(session_id)) songs_.clear();
  songs_.insert_or_assign(session_id, std::move(song));
}

bool finished_songs::holds(std::string_view session_id) {
  std::lock_guard lock(mutex_);
  return songs_.find(session_id) != songs_.end();
}

void finished_songs::forget(std::string_view session_id) {
  std::lock_guard lock(mutex_);
  if (const auto it = songs_.find(session_id); it != songs_.end()) songs_.erase(it);
}

}  // namespace serenade::api
