#pragma once
// The submission lifecycle: create the generation, record it, follow the task until it ends.
//
//   state            moved by
//   (none)        →  created: form valid, Sonauto accepted the generation, row stored
//   created       →  ready: status GENERATING_STREAMING_READY or later seen (streaming_ready_at set once)
//   ready/created →  complete: SUCCESS seen (completed_at)   |  failed: FAILURE seen (completed_at, error)
// A follower coroutine per unfinished task polls the status; on start, unfinished tasks are followed again.
#include "lifecycle/guards.hpp"
#include "lifecycle/submission_form.hpp"
#include "store/submission_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <optional>
#include <string>

namespace serenade::core {
class blocking_pool;
}
#include "sonauto/failure.hpp"

namespace serenade::sonauto {
class client;
struct generation_request;
}

namespace serenade::lifecycle {

struct lifecycle_options {
  std::chrono::milliseconds poll_interval{1500};                 // while no webhook has arrived for the task
  std::chrono::milliseconds poll_interval_with_webhooks{15000};  // once webhooks arrive: only a fallback
  std::chrono::seconds stall_timeout{600};  // no status change for this long: the song is failed as timed out
  std::string webhook_url;                  // sent with each generation when set
  std::string public_url;  // for webhook URLs (not used yet)
  // Called when a song is seen stream-ready, so its capture starts whether or not anyone listens yet; called
  // again at every poll until it returns true (the capture could start), so a broken archive is retried.
  std::function<bool(const std::string& session_id, const std::string& task_id)> on_stream_ready;
  // Called once when the song's generation succeeded: its final copy is fetched then.
  std::function<void(const std::string& session_id, const std::string& task_id)> on_success;
  // Called before a failed song is generated again: what was kept of the failed attempt must go.
  std::function<void(const std::string& session_id)> on_retry;
  // Called after every recorded change of a song's state (status events).
  std::function<void(const store::submission& now)> on_change;
  guard_limits guards;
};

struct lifecycle_counters {
  std::atomic<std::uint64_t> refused_client_rate{0};
  std::atomic<std::uint64_t> refused_generating_cap{0};
  std::atomic<std::uint64_t> refused_daily_budget{0};
  std::atomic<std::uint64_t> upstream_out_of_credits{0};
  std::atomic<std::uint64_t> upstream_misconfigured{0};
};

struct create_outcome {
  unsigned http_status = 201;  // 201 created, 200 a repeat of an idempotent submit, or the error to answer with
  std::string detail;          // for errors: a sentence for the person
  std::optional<store::submission> created;
  std::chrono::seconds retry_after{0};  // for 429
};

// Who asks: the client key (core of rate limits and of the idempotency scope) and the Idempotency-Key, if sent.
struct create_request {
  std::string client;
  std::optional<std::string> idempotency_key;
};

class submissions {
 public:
  submissions(boost::asio::any_io_executor executor, store::submission_store& store, core::blocking_pool& pool,
              sonauto::client& client, lifecycle_options options);

  // Idempotent per (client, Idempotency-Key): concurrent and later repeats get the first answer's submission
  // (200) and start no second generation.
  boost::asio::awaitable<create_outcome> create(const submission_form& form, const create_request& who);
  lifecycle_counters& counters() { return counters_; }
  boost::asio::awaitable<std::optional<store::submission>> find(std::string_view session_id);
  // Starts following every task the store says is unfinished (call once at start).
  boost::asio::awaitable<void> resume_unfinished();
  // A failed song tried again under the same session id, so its share link keeps working: a new generation
  // with the same prompt. 404 unknown, 409 not failed, 429 guards, upstream refusals as for create.
  boost::asio::awaitable<create_outcome> retry(std::string_view session_id, const create_request& who);
  // A webhook said this task changed: check its status now (the webhook itself is only a hint).
  // False when no follower of this process knows the task.
  bool hint(std::string_view task_id);

 private:
  struct follower;
  struct flight;
  boost::asio::awaitable<create_outcome> create_once(const submission_form& form, const create_request& who);
  boost::asio::awaitable<sonauto::outcome<std::string>> create_with_retries(const sonauto::generation_request& request,
                                                                            const std::string& session_id);
  void follow(std::string session_id, std::string task_id, std::string last_status);
  boost::asio::awaitable<void> poll_until_finished(std::shared_ptr<follower> f);
  boost::asio::awaitable<void> record(follower& f, store::status_update update);
  boost::asio::awaitable<void> announce(const std::string& session_id);
  boost::asio::awaitable<bool> fetch_lyrics(follower& f);

  boost::asio::any_io_executor executor_;
  store::submission_store& store_;
  core::blocking_pool& pool_;
  sonauto::client& client_;
  lifecycle_options options_;
  submission_guards guards_;
  lifecycle_counters counters_;
  std::mutex flights_mutex_;
  std::unordered_map<std::string, std::shared_ptr<flight>> flights_;  // idempotent creates in progress
  std::mutex followers_mutex_;
  std::unordered_map<std::string, std::shared_ptr<follower>> followers_;  // by task id
};

}  // namespace serenade::lifecycle
