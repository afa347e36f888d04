#include "lifecycle/finaliser.hpp"

#include "archive/final_copy.hpp"
#include "archive/paths.hpp"
#include "archive/song_check.hpp"
#include "core/backoff.hpp"
#include "core/blocking_pool.hpp"
#include "core/log.hpp"
#include "core/task_group.hpp"
#include "lifecycle/lasting_writes.hpp"
#include "sonauto/client.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <memory>

namespace serenade::lifecycle {

namespace asio = boost::asio;

finaliser::finaliser(asio::any_io_executor executor, sonauto::client& client, store::submission_store& store,
                     core::blocking_pool& pool, finaliser_options options, finaliser_counters& counters,
                     core::task_group& background)
    : executor_(std::move(executor)),
      client_(client),
      store_(store),
      pool_(pool),
      options_(std::move(options)),
      counters_(counters),
      background_(background) {}

void finaliser::finalise(std::string session_id, std::string task_id) {
  {
    std::lock_guard lock(running_mutex_);
    if (std::find(running_.begin(), running_.end(), session_id) != running_.end()) return;
    running_.push_back(session_id);
  }
  // Shutdown cancels it; the song is finalised again at the next start (resume_pending).
  const auto ended = [this, session_id](std::exception_ptr error) {
    if (error) log::failure(error, "finalisation_crashed", "session", session_id);
    std::lock_guard lock(running_mutex_);
    running_.erase(std::remove(running_.begin(), running_.end(), session_id), running_.end());
  };
  if (!background_.spawn(asio::make_strand(executor_), run(session_id, std::move(task_id)), ended)) ended(nullptr);
}

asio::awaitable<void> finaliser::resume_pending() {
  auto pending = co_await pool_.run([&] { return store_.awaiting_final_copy(); });
  for (auto& s : pending) {
    if (s.task_id) finalise(s.session_id, *s.task_id);
  }
}

asio::awaitable<bool> finaliser::record_existing(const std::string& session_id, const std::string& path,
                                                 const std::string& source) {
  auto check = co_await pool_.run([&] { return archive::check_song_file(path); });
  if (!check.facts) co_return false;
  store::archived_song song;
  song.source = source;
  song.size = check.facts->size;
  song.sha256 = check.facts->sha256;
  song.duration_ms = check.facts->duration_ms;
  song.archived_at = store::now();
  auto write = [&] { return store_.record_archive(session_id, song); };
  co_await through_outages(pool_, write, session_id);
  SERENADE_LOG(info, "song_archived", "session", session_id, "source", source, "bytes", song.size, "sha256",
               song.sha256, "duration_ms", song.duration_ms);
  co_return true;
}

namespace {
// The CDN saying the file does not exist: asking again brings nothing.
bool says_gone(const sonauto::failure& failure) {
  return failure.kind == sonauto::failure_kind::http_status && (failure.status == 404 || failure.status == 410);
}
}  // namespace

asio::awaitable<finaliser::attempt_outcome> finaliser::try_cdn_copy(const std::string& session_id,
                                                                    const std::string& task_id) {
  auto result = co_await client_.result(task_id);
  if (!result || result.value().song_paths.empty()) {
    SERENADE_LOG(warn, "final_copy_unavailable", "session", session_id, "error",
                 result ? std::string("no song_paths yet") : result.error().describe());
    co_return attempt_outcome::failed;
  }
  const auto url = result.value().song_paths.front();
  std::unique_ptr<archive::final_copy> copy;
  try {
    copy = std::make_unique<archive::final_copy>(options_.archive_dir, session_id);
  } catch (const std::system_error& e) {
    SERENADE_LOG(error, "final_copy_unwritable", "session", session_id, "error", e.code().message());
    co_return attempt_outcome::failed;
  }
  auto downloaded =
      co_await client_.download(url, [&copy](std::span<const char> piece) { return copy->write(piece); },
                                options_.max_song_bytes);
  if (!downloaded && says_gone(downloaded.error())) {
    SERENADE_LOG(warn, "final_copy_gone", "session", session_id, "error", downloaded.error().describe());
    co_return attempt_outcome::gone;
  }
  std::string problem = downloaded.ok() ? "" : downloaded.error().describe();
  if (problem.empty() && downloaded.value().content_length &&
      *downloaded.value().content_length != downloaded.value().bytes) {
    problem = "length differs from Content-Length";
  }
  // fsync, check, link and the folder's sync wait for the disk: on the pool, never on an I/O thread.
  if (problem.empty()) problem = co_await pool_.run([&] { return copy->make_durable_and_check(); });
  if (!problem.empty()) {
    SERENADE_LOG(warn, "final_copy_rejected", "session", session_id, "error", problem);
    co_return attempt_outcome::failed;
  }
  const auto placed = co_await pool_.run([&] { return copy->put_in_place(); });
  if (placed == std::errc::file_exists) {
    // Another instance sharing the archive folder (a lease that changed hands mid-download) was first: its copy
    // stays, and is what gets recorded.
    SERENADE_LOG(info, "final_copy_already_in_place", "session", session_id);
  } else if (placed) {
    SERENADE_LOG(error, "final_copy_rename_failed", "session", session_id, "error", placed.message());
    co_return attempt_outcome::failed;
  }
  const auto final_name = copy->final_path();
  co_return co_await record_existing(session_id, final_name, "cdn") ? attempt_outcome::copied
                                                                     : attempt_outcome::failed;
}

asio::awaitable<bool> finaliser::keep_live_copy(const std::string& session_id) {
  co_return co_await record_existing(session_id, archive::live_copy_path(options_.archive_dir, session_id), "live");
}

asio::awaitable<void> finaliser::give_up(const std::string& session_id, std::string_view reason, int attempts) {
  const bool live = co_await keep_live_copy(session_id);
  auto write = [&] { return store_.give_up_final_copy(session_id, store::now()); };
  co_await through_outages(pool_, write, session_id);
  ++counters_.given_up;
  SERENADE_LOG(warn, "final_copy_given_up", "session", session_id, "reason", reason, "attempts", attempts, "source",
               live ? "live" : "none");
}

asio::awaitable<void> finaliser::run(std::string session_id, std::string task_id) {
  // A final copy put in place before a crash, or by another instance sharing the archive, only needs recording.
  if (co_await record_existing(session_id, archive::final_path(options_.archive_dir, session_id), "cdn")) {
    ++counters_.ok;
    co_return;
  }
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (int attempt = 0;; ++attempt) {
    const auto outcome = co_await try_cdn_copy(session_id, task_id);
    if (outcome == attempt_outcome::copied) {
      ++counters_.ok;
      co_return;
    }
    ++counters_.failed;
    if (outcome == attempt_outcome::gone) co_return co_await give_up(session_id, "gone", attempt + 1);
    if (attempt + 1 >= options_.max_attempts) co_return co_await give_up(session_id, "attempts", attempt + 1);
    if (attempt + 1 == options_.attempts_before_fallback) {
      // Keep the song playable on our own copy while the CDN copy keeps being retried, slowly.
      if (co_await keep_live_copy(session_id)) {
        SERENADE_LOG(warn, "final_copy_fallback", "session", session_id, "source", "live");
      }
    }
    pause.expires_after(core::backoff{options_.first_backoff, options_.max_backoff}.delay(attempt));
    co_await pause.async_wait(asio::use_awaitable);
  }
}

}  // namespace serenade::lifecycle
