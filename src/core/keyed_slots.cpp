#include "core/keyed_slots.hpp"

namespace serenade::core {

keyed_slots::slot& keyed_slots::slot::operator=(slot&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    key_ = std::move(other.key_);
  }
  return *this;
}

void keyed_slots::slot::release() {
  if (auto* owner = std::exchange(owner_, nullptr)) owner->give_back(key_);
}

std::optional<keyed_slots::slot> keyed_slots::try_take(std::string key) {
  {
    std::lock_guard lock(mutex_);
    auto& count = held_[key];
    if (cap_ != 0 && count >= cap_) return std::nullopt;
    ++count;
  }
  return slot(this, std::move(key));
}

void keyed_slots::give_back(const std::string& key) {
  std::lock_guard lock(mutex_);
  const auto it = held_.find(key);
  if (it == held_.end()) return;
  if (--it->second == 0) held_.erase(it);
}

std::size_t keyed_slots::held(std::string_view key) const {
  std::lock_guard lock(mutex_);
  const auto it = held_.find(std::string(key));
  return it == held_.end() ? 0 : it->second;
}

std::size_t keyed_slots::keys() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

}  // namespace serenade::core
