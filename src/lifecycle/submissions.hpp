#pragma once
// The submission lifecycle: create the generation, record it, follow the task until it ends.
//
//   state            moved by
//   (none)        →  created: form valid, Sonauto accepted the generation, row stored
//   created       →  ready: status GENERATING_STREAMING_READY or later seen (streaming_ready_at set once)
//   ready/created →  complete: SUCCESS seen (completed_at)   |  failed: FAILURE seen (completed_at, error)
// A follower coroutine per unfinished task polls the status; on start, unfinished tasks are followed again.
#include "lifecycle/submission_form.hpp"
#include "store/submission_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace serenade::core {
class blocking_pool;
}
namespace serenade::sonauto {
class client;
}

namespace serenade::lifecycle {

struct lifecycle_options {
  std::chrono::milliseconds poll_interval{1500};
  std::string public_url;  // for webhook URLs (not used yet)
  // Called when a song is seen stream-ready, so its capture starts whether or not anyone listens yet; called
  // again at every poll until it returns true (the capture could start), so a broken archive is retried.
  std::function<bool(const std::string& session_id, const std::string& task_id)> on_stream_ready;
  // Called once when the song's generation succeeded: its final copy is fetched then.
  std::function<void(const std::string& session_id, const std::string& task_id)> on_success;
};

struct create_outcome {
  unsigned http_status = 201;  // 201, or the status to answer with
  std::string detail;          // for errors: a sentence for the person
  std::optional<store::submission> created;
};

class submissions {
 public:
  submissions(boost::asio::any_io_executor executor, store::submission_store& store, core::blocking_pool& pool,
              sonauto::client& client, lifecycle_options options);

  boost::asio::awaitable<create_outcome> create(const submission_form& form);
  boost::asio::awaitable<std::optional<store::submission>> find(std::string_view session_id);
  // Starts following every task the store says is unfinished (call once at start).
  boost::asio::awaitable<void> resume_unfinished();

 private:
  void follow(std::string session_id, std::string task_id);
  boost::asio::awaitable<void> poll_until_finished(std::string session_id, std::string task_id);

  boost::asio::any_io_executor executor_;
  store::submission_store& store_;
  core::blocking_pool& pool_;
  sonauto::client& client_;
  lifecycle_options options_;
};

}  // namespace serenade::lifecycle
