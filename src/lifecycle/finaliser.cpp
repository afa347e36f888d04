#include "lifecycle/finaliser.hpp"

#include "archive/paths.hpp"
#include "archive/song_check.hpp"
#include "core/blocking_pool.hpp"
#include "core/log.hpp"
#include "sonauto/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace serenade::lifecycle {

namespace asio = boost::asio;

finaliser::finaliser(asio::any_io_executor executor, sonauto::client& client, store::submission_store& store,
                     core::blocking_pool& pool, finaliser_options options, finaliser_counters& counters)
    : executor_(std::move(executor)),
      client_(client),
      store_(store),
      pool_(pool),
      options_(std::move(options)),
      counters_(counters) {}

void finaliser::finalise(std::string session_id, std::string task_id) {
  {
    std::lock_guard lock(running_mutex_);
    if (std::find(running_.begin(), running_.end(), session_id) != running_.end()) return;
    running_.push_back(session_id);
  }
  asio::co_spawn(asio::make_strand(executor_), run(session_id, std::move(task_id)),
                 [this, session_id](std::exception_ptr error) {
                   if (error) {
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       SERENADE_LOG(error, "finalisation_crashed", "session", session_id, "error", e.what());
                     }
                   }
                   std::lock_guard lock(running_mutex_);
                   running_.erase(std::remove(running_.begin(), running_.end(), session_id), running_.end());
                 });
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
  co_await pool_.run([&] { return store_.record_archive(session_id, song); });
  SERENADE_LOG(info, "song_archived", "session", session_id, "source", source, "bytes", song.size, "sha256",
               song.sha256, "duration_ms", song.duration_ms);
  co_return true;
}

asio::awaitable<bool> finaliser::try_cdn_copy(const std::string& session_id, const std::string& task_id) {
  auto result = co_await client_.result(task_id);
  if (!result || result.value().song_paths.empty()) {
    SERENADE_LOG(warn, "final_copy_unavailable", "session", session_id, "error",
                 result ? std::string("no song_paths yet") : result.error().describe());
    co_return false;
  }
  const auto url = result.value().song_paths.front();
  const auto temporary = archive::download_path(options_.archive_dir, session_id);
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    SERENADE_LOG(error, "final_copy_unwritable", "session", session_id, "error", std::strerror(errno));
    co_return false;
  }
  auto downloaded = co_await client_.download_to_file(url, fd, options_.max_song_bytes);
  bool ok = downloaded.ok();
  std::string problem = ok ? "" : downloaded.error().describe();
  if (ok && downloaded.value().content_length && *downloaded.value().content_length != downloaded.value().bytes) {
    ok = false;
    problem = "length differs from Content-Length";
  }
  // fsync, rename and the directory's sync wait for the disk: on the pool, never on an I/O thread.
  auto make_durable = [&] {
    if (ok && ::fsync(fd) != 0) {
      ok = false;
      problem = std::string("fsync: ") + std::strerror(errno);
    }
    ::close(fd);
  };
  co_await pool_.run(make_durable);
  if (ok) {
    auto check = co_await pool_.run([&] { return archive::check_song_file(temporary); });
    if (!check.facts) {
      ok = false;
      problem = "not a complete MP3: " + check.problem;
    }
  }
  if (!ok) {
    ::unlink(temporary.c_str());
    SERENADE_LOG(warn, "final_copy_rejected", "session", session_id, "error", problem);
    co_return false;
  }
  const auto final_name = archive::final_path(options_.archive_dir, session_id);
  auto put_in_place = [&]() -> std::string {
    if (::rename(temporary.c_str(), final_name.c_str()) != 0 || !archive::sync_directory(options_.archive_dir)) {
      std::string error = std::strerror(errno);
      ::unlink(temporary.c_str());
      return error;
    }
    return {};
  };
  const auto rename_error = co_await pool_.run(put_in_place);
  if (!rename_error.empty()) {
    SERENADE_LOG(error, "final_copy_rename_failed", "session", session_id, "error", rename_error);
    co_return false;
  }
  co_return co_await record_existing(session_id, final_name, "cdn");
}

asio::awaitable<void> finaliser::run(std::string session_id, std::string task_id) {
  // A final copy renamed into place before a crash only needs recording.
  if (co_await record_existing(session_id, archive::final_path(options_.archive_dir, session_id), "cdn")) {
    ++counters_.ok;
    co_return;
  }
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (int attempt = 0;; ++attempt) {
    if (co_await try_cdn_copy(session_id, task_id)) {
      ++counters_.ok;
      co_return;
    }
    ++counters_.failed;
    if (attempt + 1 == options_.attempts_before_fallback) {
      // Keep the song playable on our own copy while the CDN copy keeps being retried, slowly.
      if (co_await record_existing(session_id, archive::live_copy_path(options_.archive_dir, session_id), "live")) {
        SERENADE_LOG(warn, "final_copy_fallback", "session", session_id, "source", "live");
      }
    }
    const auto delay = std::min<std::chrono::milliseconds>(options_.first_backoff * (1 << std::min(attempt, 10)),
                                                           options_.max_backoff);
    pause.expires_after(delay);
    co_await pause.async_wait(asio::use_awaitable);
  }
}

}  // namespace serenade::lifecycle
