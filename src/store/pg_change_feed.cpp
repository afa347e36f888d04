#include "store/pg_change_feed.hpp"

#include "core/log.hpp"
#include "store/pg_connection.hpp"
#include "store/submission_store.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <chrono>

namespace serenade::store {

namespace {
// How often a waiting thread looks whether the feed is stopping: bounds how long shutdown waits for it.
constexpr int stop_check_ms = 200;
}  // namespace

pg_change_feed::pg_change_feed(std::string url, std::function<void(std::string)> changed,
                               std::function<void()> reconnected)
    : url_(std::move(url)), changed_(std::move(changed)), reconnected_(std::move(reconnected)) {
  thread_ = std::thread([this] { run(); });
}

pg_change_feed::~pg_change_feed() {
  stopping_ = true;
  thread_.join();
}

void pg_change_feed::run() {
  bool listened_before = false;
  while (!stopping_) {
    try {
      auto connection = pg::connect(url_);
      pg::run_script(connection.get(), "listen for changes", "LISTEN serenade_submissions");
      if (listened_before) {
        SERENADE_LOG(info, "change_feed_reconnected");
        reconnected_();
      }
      listened_before = true;
      listen_on(connection.get());
    } catch (const store_error& e) {
      SERENADE_LOG(warn, "change_feed_unavailable", "error", e.what());
    }
    // Once a second at most, checking for shutdown meanwhile.
    for (int waited = 0; waited < 1000 && !stopping_; waited += stop_check_ms) {
      std::this_thread::sleep_for(std::chrono::milliseconds(stop_check_ms));
    }
  }
}

void pg_change_feed::listen_on(pg_conn* connection) {
  pollfd watched{};
  watched.fd = PQsocket(connection);
  watched.events = POLLIN;
  while (!stopping_) {
    const int ready = ::poll(&watched, 1, stop_check_ms);
    if (ready < 0 && errno != EINTR) return;
    if (ready <= 0) continue;
    if (PQconsumeInput(connection) == 0) {
      SERENADE_LOG(warn, "change_feed_lost");
      return;
    }
    while (PGnotify* note = PQnotifies(connection)) {
      std::string session_id = note->extra;
      PQfreemem(note);
      changed_(std::move(session_id));
    }
  }
}

}  // namespace serenade::store
