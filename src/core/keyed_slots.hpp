#pragma once
// Things held per key at once (connections or long-lived answers per client), each key capped: a slot is
// taken only while its key holds fewer than the cap, and is given back when the slot object goes. A key is
// forgotten when it holds nothing, so memory follows what is held, never what was once seen.
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace serenade::core {

class keyed_slots {
 public:
  // 0: no cap (slots are still counted).
  explicit keyed_slots(std::size_t cap_per_key) : cap_(cap_per_key) {}
  keyed_slots(const keyed_slots&) = delete;
  keyed_slots& operator=(const keyed_slots&) = delete;

  // One slot held; gives it back when destroyed. Must not outlive its keyed_slots.
  class slot {
   public:
    slot() = default;
    slot(slot&& other) noexcept : owner_(other.owner_), key_(std::move(other.key_)) { other.owner_ = nullptr; }
    slot& operator=(slot&& other) noexcept;
    ~slot() { release(); }
    void release();
    explicit operator bool() const { return owner_ != nullptr; }

   private:
    friend class keyed_slots;
    slot(keyed_slots* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    keyed_slots* owner_ = nullptr;
    std::string key_;
  };

  // A slot for `key`, or nullopt when the key already holds the cap.
  std::optional<slot> try_take(std::string key);
  std::size_t held(std::string_view key) const;
  std::size_t keys() const;
  std::size_t cap() const { return cap_; }

 private:
  void give_back(const std::string& key);

  const std::size_t cap_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> held_;
};

}  // namespace serenade::core
