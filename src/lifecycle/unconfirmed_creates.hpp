#pragma once
// Creates whose answer was lost (a timeout or a gateway's error after the request was sent): the generation may
// exist upstream, and it is paid for. Sonauto documents no idempotency key and no list of generations, so only a
// webhook can tell its task id: each create's webhook URL names its session. Each such song waits here, holding
// its generating slot, until a webhook on that URL names its task (stop_waiting) or the wait runs out (expired).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace serenade::core {
class task_group;
}

namespace serenade::lifecycle {

class unconfirmed_creates {
 public:
  using clock = std::chrono::steady_clock;
  // `expired` runs in the wait of a song no webhook confirmed by its deadline; `ended` once per wait, however it
  // ends (the song's generating slot goes back), and before `expired`. Waits run in `background` (shutdown cancels them).
  unconfirmed_creates(boost::asio::any_io_executor executor, core::task_group& background,
                      std::function<boost::asio::awaitable<void>(const std::string& session_id)> expired,
                      std::function<void()> ended);
  ~unconfirmed_creates();
  unconfirmed_creates(const unconfirmed_creates&) = delete;
  unconfirmed_creates& operator=(const unconfirmed_creates&) = delete;

  void wait_for(std::string session_id, clock::time_point deadline);
  // A webhook told the task: the wait ends without `expired`. False when this process was not waiting for it.
  bool stop_waiting(std::string_view session_id);
  std::size_t waiting() const;

 private:
  struct wait;
  boost::asio::awaitable<void> wait_until_told(std::shared_ptr<wait> w, clock::time_point deadline);
  void give_slot_back(wait& w);

  boost::asio::any_io_executor executor_;
  core::task_group& background_;
  std::function<boost::asio::awaitable<void>(const std::string&)> expired_;
  std::function<void()> ended_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<wait>> waits_;  // by session id
};

}  // namespace serenade::lifecycle
