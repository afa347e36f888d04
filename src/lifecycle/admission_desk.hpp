#pragma once
// Where the guards in front of a paid generation are kept: in this process's memory (submission_guards) when it
// has the database alone, or in the database every instance shares (store::shared_limits), so that a limit holds
// whichever instance a request reaches. Either way this process's generating count follows its own creates and
// songs, for /metrics and for the slot its followers give back.
#include "lifecycle/guards.hpp"
#include "lifecycle/submission_result.hpp"
#include "store/shared_limits.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace serenade::core {
class blocking_pool;
}
namespace serenade::store {
class submission_store;
}

namespace serenade::lifecycle {

class admission_desk {
 public:
  // A create's generating slot is reserved for this long at most in the shared database: longer than any create
  // with its retries, so it ends by itself only when the instance that made it died.
  static constexpr std::chrono::minutes reservation{5};
  // How long a creating instance holds a repeated Idempotency-Key: the same reasoning.
  static constexpr std::chrono::minutes key_hold{5};

  admission_desk(submission_guards& guards, store::submission_store& store, core::blocking_pool& pool,
                 const guard_limits& limits);

  // The guards' answer for a generation of `session_id` by this client range and network range.
  boost::asio::awaitable<admission> admit(const std::string& session_id, std::string_view client,
                                          std::string_view network);
  // Sonauto created nothing (or may have: may_exist_upstream): gives back what admit took, as
  // submission_guards::upstream_refused says.
  boost::asio::awaitable<void> not_created(const admission& admitted, bool may_exist_upstream);

  using create_once = std::function<boost::asio::awaitable<submission_result>()>;
  using find_earlier = std::function<boost::asio::awaitable<std::optional<store::submission>>()>;
  // With a shared database, creates under one (client, Idempotency-Key) take turns over every instance: `create`
  // runs only while this instance holds the key, and a repeat waiting for another instance's create is answered
  // with the song it stored. This process's own repeats take turns before (idempotent_creates). The functions are
  // taken by value: the coroutine keeps them in its frame.
  boost::asio::awaitable<submission_result> create_holding_key(const std::string& client_key, const std::string& key,
                                                               find_earlier find, create_once create);

 private:
  submission_guards& guards_;
  store::shared_limits* shared_;  // null: the guards are this process's
  core::blocking_pool& pool_;
  store::limit_settings settings_;
};

}  // namespace serenade::lifecycle
