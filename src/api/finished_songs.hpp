#pragma once
// Finished songs never change once their verified copy is in place, so what serving one needs — an open
// descriptor and its validators — is kept here: a Range request for a finished song then touches neither the
// database, the blocking pool nor the file system (no open/fstat/close per request). Bounded in descriptors:
// when full, it starts over (the database still has everything). An entry is reopened from its path once it
// is older than `revalidate`, so a file replaced or removed behind our back is noticed within that time.
#include "http/conditional.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace serenade::api {

// An open song file. Shared by the requests serving it; the descriptor closes with the last of them.
struct open_song {
  open_song(int fd, std::string path, http::file_identity identity, std::chrono::steady_clock::time_point opened);
  ~open_song();
  open_song(const open_song&) = delete;
  open_song& operator=(const open_song&) = delete;

  int fd;
  std::string path;
  http::file_identity identity;  // its etag, length and Last-Modified (preformatted)
  std::chrono::steady_clock::time_point opened;
};

// Opens `path`; the etag is `etag` or else one made of size and mtime. Null when the file cannot be opened.
std::shared_ptr<const open_song> open_song_file(const std::string& path, std::optional<std::string> etag,
                                                std::chrono::steady_clock::time_point now);

class finished_songs {
 public:
  static constexpr std::size_t default_capacity = 1024;  // songs kept open: each holds a descriptor

  explicit finished_songs(std::size_t capacity = default_capacity, std::chrono::seconds revalidate = std::chrono::seconds(60))
      : capacity_(capacity), revalidate_(revalidate) {}

  // The open song, reopened first when older than `revalidate`; null when unknown or no longer there.
  std::shared_ptr<const open_song> find(std::string_view session_id, std::chrono::steady_clock::time_point now);
  void remember(const std::string& session_id, std::shared_ptr<const open_song> song);
  void forget(std::string_view session_id);
  // Whether the song is kept open here (nothing is reopened).
  bool holds(std::string_view session_id);

 private:
  // Lets find() look up a string_view without building a std::string key.
  struct key_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  std::size_t capacity_;
  std::chrono::seconds revalidate_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const open_song>, key_hash, std::equal_to<>> songs_;
};

}  // namespace serenade::api
