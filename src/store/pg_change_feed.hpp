#pragma once
// Changes to songs made by any instance sharing the PostgreSQL database, as they happen: a trigger notifies the
// channel serenade_submissions with the session id of each change a person can see (schema 8), and this feed
// LISTENs on a connection of its own, on a thread of its own (it mostly waits; no I/O thread and no pool thread
// is held). A lost connection is opened again every second; changes notified meanwhile are not replayed, so
// `reconnected` tells the owner to read again what it watches.
#include <atomic>
#include <functional>
#include <string>
#include <thread>

struct pg_conn;

namespace serenade::store {

class pg_change_feed {
 public:
  // `changed` and `reconnected` run on the feed's thread: keep them short (hand the work to an executor).
  pg_change_feed(std::string url, std::function<void(std::string session_id)> changed,
                 std::function<void()> reconnected);
  ~pg_change_feed();  // stops listening and joins the thread
  pg_change_feed(const pg_change_feed&) = delete;
  pg_change_feed& operator=(const pg_change_feed&) = delete;

 private:
  void run();
  // Listens until the connection is lost or the feed stops.
  void listen_on(pg_conn* connection);

  std::string url_;
  std::function<void(std::string)> changed_;
  std::function<void()> reconnected_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace serenade::store
