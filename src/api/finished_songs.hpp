#pragma once
// Finished songs never change once their verified copy is in place, so what serving one needs (its file and
// validators) is remembered here: a Range request for a finished song then touches neither the database nor
// the blocking pool. Bounded: when full, it starts over (the database still has everything).
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace serenade::api {

struct finished_song {
  std::string path;
  std::string etag;
};

class finished_songs {
 public:
  explicit finished_songs(std::size_t capacity = 100000) : capacity_(capacity) {}

  std::optional<finished_song> find(const std::string& session_id) const {
    std::lock_guard lock(mutex_);
    auto it = songs_.find(session_id);
    if (it == songs_.end()) return std::nullopt;
    return it->second;
  }

  void remember(const std::string& session_id, finished_song song) {
    std::lock_guard lock(mutex_);
    if (songs_.size() >= capacity_) songs_.clear();
    songs_.insert_or_assign(session_id, std::move(song));
  }

  void forget(const std::string& session_id) {
    std::lock_guard lock(mutex_);
    songs_.erase(session_id);
  }

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, finished_song> songs_;
};

}  // namespace serenade::api
