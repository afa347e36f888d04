#pragma once
// Makes a finished song outlive Sonauto: after SUCCESS it downloads song_paths[0] from the CDN, checks it
// (whole length, MP3 frames from first to last byte), fsyncs it under a temporary name and links it into
// place (archive/once_file.hpp: written once, also on an archive folder instances share), then records size,
// SHA-256 and duration. Failures are retried with capped backoff; when the CDN copy cannot be had, the complete
// live capture (if any) is recorded as the song's copy instead. A CDN that says the file is gone (404, 410) is
// believed at once; other failures are retried `max_attempts` times. Then the song is given up on for good
// (recorded in the store, so no restart fetches it again) and keeps its live copy, if it has one.
//
//   state        moved by
//   pending    → final       verified CDN copy linked into place and recorded ("cdn")
//   pending    → pending     download or check failed: wait (backoff) and try again
//   pending    → fallback    attempts_before_fallback failures: the complete live capture is recorded ("live"),
//                            the CDN copy is still retried
//   pending    → given up    the CDN says 404/410, or max_attempts failures: the live capture is recorded, no
//                            more attempts, now or after a restart
#include "store/submission_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace serenade::core {
class blocking_pool;
class task_group;
}
namespace serenade::sonauto {
class client;
}

namespace serenade::lifecycle {

struct finaliser_options {
  std::string archive_dir;
  std::chrono::milliseconds first_backoff{1000};
  std::chrono::milliseconds max_backoff{60000};
  int attempts_before_fallback = 6;
  int max_attempts = 20;
  std::uint64_t max_song_bytes = 64ull * 1024 * 1024;
};

struct finaliser_counters {
  std::atomic<std::uint64_t> ok{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> given_up{0};  // songs whose CDN copy is no longer fetched
};

class finaliser {
 public:
  // Each song's finalisation runs in `background`, so that shutdown cancels it.
  finaliser(boost::asio::any_io_executor executor, sonauto::client& client, store::submission_store& store,
            core::blocking_pool& pool, finaliser_options options, finaliser_counters& counters,
            core::task_group& background);

  // Starts finalising one song (no-op if it is already being finalised by this process).
  void finalise(std::string session_id, std::string task_id);
  // At start: finalise every succeeded song that has no verified copy yet.
  boost::asio::awaitable<void> resume_pending();

 private:
  enum class attempt_outcome { copied, failed, gone };

  boost::asio::awaitable<void> run(std::string session_id, std::string task_id);
  boost::asio::awaitable<attempt_outcome> try_cdn_copy(const std::string& session_id, const std::string& task_id);
  boost::asio::awaitable<bool> keep_live_copy(const std::string& session_id);
  boost::asio::awaitable<void> give_up(const std::string& session_id, std::string_view reason, int attempts);
  boost::asio::awaitable<bool> record_existing(const std::string& session_id, const std::string& path,
                                               const std::string& source);

  boost::asio::any_io_executor executor_;
  sonauto::client& client_;
  store::submission_store& store_;
  core::blocking_pool& pool_;
  finaliser_options options_;
  finaliser_counters& counters_;
  core::task_group& background_;
  std::mutex running_mutex_;
  std::vector<std::string> running_;
};

}  // namespace serenade::lifecycle
