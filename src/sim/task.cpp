#include "sim/task.hpp"

#include "core/wake_event.hpp"
#include "sim/simulator.hpp"

#include <algorithm>
#include <cmath>

namespace serenade::sim {

task_faults task::current_faults() const {
  std::lock_guard lock(mutex);
  return faults;
}

std::shared_ptr<const std::vector<std::uint8_t>> task::cdn_file() const {
  std::lock_guard lock(mutex);
  if (faults.final_encode == final_encode_mode::different && final_file) return final_file;
  return audio;
}

void task::change_faults(const task_faults& changed, bool rearm_drop) {
  {
    std::lock_guard lock(mutex);
    faults = changed;
    if (rearm_drop) drop_spent = false;
  }
  if (wake) wake->notify();
}

steady::duration seconds_of(double seconds) {
  return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(seconds));
}

double seconds_since(steady::time_point start) { return std::chrono::duration<double>(steady::now() - start).count(); }

double song_seconds_for(const simulator_options& options, std::string_view task_id) {
  if (options.song_seconds) return *options.song_seconds;
  // FNV-1a: the same on every platform and run, unlike std::hash.
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : task_id) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  const auto shortest = std::ceil(options.song_seconds_min);
  const auto choices = static_cast<std::uint64_t>(std::max(0.0, std::floor(options.song_seconds_max) - shortest)) + 1;
  return std::min(options.song_seconds_max, shortest + static_cast<double>(h % choices));
}

timeline_settings timeline_for(const simulator_options& options, const task& t, const task_faults& f) {
  timeline_settings s{t.song_seconds,       options.speed,        options.ready_after,
                      options.first_audio,  options.finish_delay, options.expire_after};
  if (f.expire_immediately || f.stream_end == stream_end_mode::expire_early) s.expire_after = 0;
  s.never_ready = f.never_ready;
  s.cdn_lifetime = f.delete_cdn_after;
  s.stream_delay = f.ready_race;
  return s;
}

moment moment_now(const simulator_options& options, const task& t) {
  const auto f = t.current_faults();
  return moment_at(timeline_for(options, t, f), seconds_since(t.created),
                   f.fail_at ? std::optional<std::string_view>(*f.fail_at) : std::nullopt);
}

void task_table::add(std::shared_ptr<task> t) {
  std::lock_guard lock(mutex_);
  auto id = t->id;
  tasks_.emplace(std::move(id), std::move(t));
}

std::shared_ptr<task> task_table::find(std::string_view id) const {
  std::lock_guard lock(mutex_);
  auto it = tasks_.find(std::string(id));
  return it == tasks_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<task>> task_table::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<task>> out;
  out.reserve(tasks_.size());
  for (const auto& [id, t] : tasks_) out.push_back(t);
  return out;
}

}  // namespace serenade::sim
