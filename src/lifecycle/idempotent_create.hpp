#pragma once
// Submits with the same Idempotency-Key start one generation: the first caller leads and creates, concurrent
// callers wait for it to land, then all of them find the row it stored.
#include "lifecycle/submission_result.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace serenade::lifecycle {

class idempotent_creates {
 public:
  using find_earlier = std::function<boost::asio::awaitable<std::optional<store::submission>>()>;
  using create_once = std::function<boost::asio::awaitable<submission_result>()>;

  // A repeat of an earlier create under `key` is answered with its row (repeated); otherwise `create` runs, at
  // most one at a time per key. A refused leader stores nothing: one of the waiters leads next.
  boost::asio::awaitable<submission_result> run(const std::string& key, const find_earlier& find,
                                                const create_once& create);

 private:
  struct flight;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<flight>> flights_;  // creates in progress, by key
};

}  // namespace serenade::lifecycle
