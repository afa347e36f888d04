#include "live/hub_table.hpp"

#include "core/log.hpp"

#include <boost/asio/strand.hpp>

namespace serenade::live {

hub_table::hub_table(boost::asio::any_io_executor executor, sonauto::client& client, hub_options options,
                     core::task_group& background)
    : executor_(std::move(executor)), client_(client), options_(std::move(options)), background_(background) {}

void hub_table::take_back(const std::string& session_id) {
  std::shared_ptr<hub> song;
  {
    std::lock_guard lock(mutex_);
    failed_.erase(session_id);
    if (auto it = capturing_.find(session_id); it != capturing_.end()) {
      song = std::move(it->second);
      capturing_.erase(it);
    }
  }
  if (song) song->take_back();
}

bool hub_table::holds(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  return capturing_.contains(session_id);
}

void hub_table::release_all() {
  std::lock_guard lock(mutex_);
  capturing_.clear();
}

void hub_table::sweep_locked(std::chrono::steady_clock::time_point now) {
  for (auto it = capturing_.begin(); it != capturing_.end();) {
    const auto state = it->second->state();
    if (state == hub_state::capturing) {
      ++it;
      continue;
    }
    if (state == hub_state::abandoned) {
      failed_[it->first] = {it->second->task_id(), now + options_.failed_capture_pause};
    }
    it = capturing_.erase(it);
  }
  std::erase_if(failed_, [now](const auto& entry) { return entry.second.pause_ends <= now; });
}

std::optional<std::chrono::seconds> hub_table::failed_lately(const std::string& session_id,
                                                             const std::string& task_id) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  sweep_locked(now);
  const auto it = failed_.find(session_id);
  if (it == failed_.end() || it->second.task_id != task_id) return std::nullopt;
  return std::chrono::ceil<std::chrono::seconds>(it->second.pause_ends - now);
}

std::shared_ptr<hub> hub_table::ensure(const std::string& session_id, const std::string& task_id) {
  std::lock_guard lock(mutex_);
  sweep_locked(std::chrono::steady_clock::now());
  if (auto it = capturing_.find(session_id); it != capturing_.end()) {
    if (it->second->task_id() == task_id) return it->second;
    capturing_.erase(it);  // a failed attempt's hub: the song was retried as a new generation
  }
  auto fresh = std::make_shared<hub>(boost::asio::make_strand(executor_), session_id, task_id, client_, options_,
                                     counters_);
  try {
    fresh->start(background_);
  } catch (const std::exception& e) {
    ++counters_.capture_write_failures;
    SERENADE_LOG(error, "capture_unavailable", "session", session_id, "error", e.what());
    return nullptr;
  }
  capturing_.emplace(session_id, fresh);
  return fresh;
}

}  // namespace serenade::live
