#include "lifecycle/status_events.hpp"

#include <charconv>

namespace serenade::lifecycle {

status_events::status_events(status_events_options options)
    : options_(std::move(options)), next_sweep_(options_.now() + options_.sweep_every) {}

std::uint64_t status_events::publish(const std::string& session_id, std::string data, bool finishing) {
  core::waiter_list::woken woken;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    const auto now = options_.now();
    sweep(now, woken);
    auto& s = sessions_[session_id];
    id = ++s.latest_id;
    s.finished = s.finished || finishing;
    s.touched = now;
    s.history.push_back({id, std::move(data), finishing});
    while (s.history.size() > options_.history) s.history.pop_front();
    woken.merge(s.waiters.take_all());
  }
  woken.wake();
  return id;
}

bool status_events::publish_heard(const std::string& session_id, std::string data, bool finishing) {
  {
    std::lock_guard lock(mutex_);
    const auto found = sessions_.find(session_id);
    if (found == sessions_.end()) return false;
    const auto& history = found->second.history;
    if (!history.empty() && history.back().data == data) return false;
  }
  // Two changes heard at once may both pass the check: the reader then sees one state twice, which it tolerates.
  publish(session_id, std::move(data), finishing);
  return true;
}

bool status_events::knows(const std::string& session_id) const {
  std::lock_guard lock(mutex_);
  return sessions_.contains(session_id);
}

std::vector<std::string> status_events::known_sessions() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  out.reserve(sessions_.size());
  for (const auto& [id, s] : sessions_) out.push_back(id);
  return out;
}

catch_up status_events::events_after(const std::string& session_id, std::uint64_t after_id) const {
  catch_up out;
  std::lock_guard lock(mutex_);
  const auto found = sessions_.find(session_id);
  if (found == sessions_.end()) {
    out.complete = after_id == 0;
    return out;
  }
  const auto& s = found->second;
  out.latest_id = s.latest_id;
  out.finished = s.finished;
  // Complete when nothing after `after_id` was pushed out of the history (ids in it are consecutive).
  out.complete = after_id == s.latest_id || (after_id < s.latest_id && !s.history.empty() &&
                                             s.history.front().id <= after_id + 1);
  for (const auto& e : s.history) {
    if (e.id > after_id) out.events.push_back(e);
  }
  return out;
}

void status_events::notify_after(const std::string& session_id, std::uint64_t after_id,
                                 std::function<void()> wake) {
  core::waiter_list::woken woken;
  bool now_ready = false;
  {
    std::lock_guard lock(mutex_);
    const auto now = options_.now();
    sweep(now, woken);
    auto [it, created] = sessions_.try_emplace(session_id);
    if (created) it->second.touched = now;  // a reader alone keeps a session no longer than idle_ttl
    now_ready = it->second.latest_id != after_id;
    if (!now_ready) it->second.waiters.add(std::move(wake));
  }
  woken.wake();
  if (now_ready) wake();
}

std::size_t status_events::sessions_for_test() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void status_events::sweep(std::chrono::steady_clock::time_point now, core::waiter_list::woken& woken) {
  if (now < next_sweep_) return;
  next_sweep_ = now + options_.sweep_every;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const auto& s = it->second;
    const bool stale = now - s.touched >= (s.finished ? options_.finished_ttl : options_.idle_ttl);
    if (!stale) {
      ++it;
      continue;
    }
    woken.merge(it->second.waiters.take_all());
    it = sessions_.erase(it);
  }
}

stream_start plan_stream_start(std::optional<std::uint64_t> last_event_id, const catch_up& bus,
                               bool stored_finished) {
  if (!last_event_id) return stream_start::current_state;
  // The bus knows nothing of this session: ids the client holds came from another process or were forgotten.
  // Only "0 and finished" is certain: the client was sent the finished state as id 0.
  if (bus.latest_id == 0) {
    return *last_event_id == 0 && stored_finished ? stream_start::no_content : stream_start::current_state;
  }
  if (!bus.complete) return stream_start::current_state;  // unknown id, or it fell out of the history
  if (bus.events.empty() && bus.finished) return stream_start::no_content;
  return stream_start::replay;
}

std::optional<std::uint64_t> parse_event_id(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace serenade::lifecycle
