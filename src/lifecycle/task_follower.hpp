#pragma once
// Following Sonauto tasks until they end: one coroutine per unfinished task polls its status (often until a
// webhook shows up for a song that can already be streamed, rarely after; slower while Sonauto answers 429),
// records changes in order, and is woken early by webhook hints. Only it writes the task's status, so states
// never go back.
//
//   state            moved by
//   created       →  ready: status GENERATING_STREAMING_READY or later seen (streaming_ready_at set once)
//   ready/created →  complete: SUCCESS seen (completed_at)   |  failed: FAILURE seen (completed_at, error)
//   any           →  failed: the task is lost upstream, or its status stopped changing (or could not be read)
//                    for stall_timeout
#include "lifecycle/lifecycle_options.hpp"
#include "lifecycle/task_status.hpp"
#include "store/submission_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

namespace serenade::core {
class blocking_pool;
class task_group;
}
namespace serenade::sonauto {
class client;
}

namespace serenade::lifecycle {

// The pause before a follower's next status call: the poll interval (the longer webhook pace once webhooks report
// the changes of a song that can already be streamed, so readiness is never seen late), or, after `rate_limited`
// 429s in a row, a pause that doubles from a second up to a minute, plus up to half again of jitter drawn from
// `jitter`, so that many followers do not come back at the same instant.
std::chrono::milliseconds status_poll_pause(const lifecycle_options& options, bool slow_polling, int rate_limited,
                                            std::minstd_rand& jitter);

class task_followers {
 public:
  // Followers run in `background` (shutdown cancels them); generation_ended is called once per followed task,
  // when its follower ends.
  ~task_followers();
  task_followers(boost::asio::any_io_executor executor, store::submission_store& store, core::blocking_pool& pool,
                 sonauto::client& client, const lifecycle_options& options, core::task_group& background,
                 std::function<void()> generation_ended);

  // `held` (when set) says whether this instance still holds the song's lease: once it does not, the follower ends
  // without writing anything, and whichever instance takes the song over follows it.
  void follow(std::string session_id, std::string task_id, task_status last_status,
              std::function<bool()> held = {});
  // A webhook said this task changed: check its status now. False when no follower of this process knows it.
  bool hint(std::string_view task_id);
  // The song was taken back by its maker: its follower stops at its next step (Sonauto's task is left to finish,
  // its result never stored). False when no follower of this process follows it.
  bool let_go(std::string_view session_id);
  // Whether a follower of this process follows the song.
  bool follows(std::string_view session_id);
  // A webhook that names no task: every follower checks its status (rounds at least a second apart; one that
  // comes too soon is held until then).
  void hint_all();
  // Tells on_change what the store now holds for the song.
  boost::asio::awaitable<void> announce(const std::string& session_id);

 private:
  struct follower;
  boost::asio::awaitable<void> poll_until_finished(std::shared_ptr<follower> f);
  boost::asio::awaitable<void> record(follower& f, store::status_update update);
  boost::asio::awaitable<bool> fetch_lyrics(follower& f);

  boost::asio::any_io_executor executor_;
  store::submission_store& store_;
  core::blocking_pool& pool_;
  sonauto::client& client_;
  const lifecycle_options& options_;
  core::task_group& background_;
  std::function<void()> generation_ended_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<follower>> followers_;  // by task id
  std::chrono::steady_clock::time_point next_hint_all_{};  // guarded by mutex_, as are the two below
  struct held_round;  // the timer of a round held back by the spacing
  std::unique_ptr<held_round> held_round_;
  void wake_all_locked(std::chrono::steady_clock::time_point now);
};

}  // namespace serenade::lifecycle
