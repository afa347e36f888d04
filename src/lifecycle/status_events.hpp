#pragma once
// The in-process bus of a submission's state changes, read by the Server-Sent Events route. The follower
// publishes each recorded change (the rendered JSON); readers catch up from a short history and are woken,
// not polled, for what comes next.
//
//   session state   moved by
//   (unknown)    →  open       first publish, or a reader subscribing (ids start at 1 with the first publish)
//   open         →  finished   publish(..., finishing = true): SUCCESS or FAILURE was recorded
//   open         →  (unknown)  no publish for idle_ttl (a stuck task; readers are woken so they re-check)
//   finished     →  (unknown)  finished_ttl after the finishing event; a reconnecting reader then gets the
//                              stored state instead of a replay
// Memory is bounded: `history` events per session, sessions only while active or recently finished.
// Ids are per process: after a restart (or forgetting) they start at 1 again, which readers must tolerate.
#include "core/waiter_list.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace serenade::lifecycle {

struct status_event {
  std::uint64_t id = 0;
  std::string data;        // one line of JSON
  bool finishing = false;  // the session's last event (complete or failed)
};

struct status_events_options {
  std::size_t history = 32;
  std::chrono::seconds idle_ttl{3600};
  std::chrono::seconds finished_ttl{600};
  // Tests pass a fake clock; forgetting is checked at most once per sweep_every.
  std::function<std::chrono::steady_clock::time_point()> now = [] { return std::chrono::steady_clock::now(); };
  std::chrono::seconds sweep_every{60};
};

// What a reader sees when it catches up from `after_id`.
struct catch_up {
  std::uint64_t latest_id = 0;  // 0: nothing published for this session (in this process)
  bool finished = false;
  bool complete = false;  // `events` are all the events after `after_id` (history reached back far enough)
  std::vector<status_event> events;  // id > after_id, oldest first
};

class status_events {
 public:
  explicit status_events(status_events_options options = {});

  // Records the next event of the session and wakes its readers. Returns the event's id.
  std::uint64_t publish(const std::string& session_id, std::string data, bool finishing = false);
  // A change heard from another instance (which may be this process's own, echoed back): published as above, but
  // only for a session this process knows (a reader asked about it, or it was published here) and only when
  // `data` differs from its latest event. False when nothing was published.
  bool publish_heard(const std::string& session_id, std::string data, bool finishing);
  // Whether this process knows the session (see publish_heard): whether a change heard is worth reading.
  bool knows(const std::string& session_id) const;
  // The sessions this process knows now: what to read again after changes may have been missed.
  std::vector<std::string> known_sessions() const;
  catch_up events_after(const std::string& session_id, std::uint64_t after_id) const;
  // Calls `wake` once (from the publisher's thread, under no lock; keep it short) when the session's latest id
  // is no longer `after_id`; at once if that is already so. Also called when the session is forgotten.
  void notify_after(const std::string& session_id, std::uint64_t after_id, std::function<void()> wake);

  std::size_t sessions_for_test() const;

 private:
  struct session {
    std::uint64_t latest_id = 0;
    bool finished = false;
    std::chrono::steady_clock::time_point touched;  // last publish
    std::deque<status_event> history;
    core::waiter_list waiters;  // checked and filled under mutex_, woken with no lock held
  };
  // Drops stale sessions (when a sweep is due); their waiters are moved to `woken` to be called unlocked.
  void sweep(std::chrono::steady_clock::time_point now, core::waiter_list::woken& woken);

  status_events_options options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, session> sessions_;
  std::chrono::steady_clock::time_point next_sweep_;
};

// How an events stream starts, from the client's Last-Event-ID (none when absent or unparsable).
enum class stream_start {
  current_state,  // send the stored state, labelled with the latest id
  replay,         // send the events after Last-Event-ID (possibly none yet), then follow
  no_content,     // 204: the client has the finishing event already; stops EventSource reconnecting
};
stream_start plan_stream_start(std::optional<std::uint64_t> last_event_id, const catch_up& bus,
                               bool stored_finished);

// Last-Event-ID as sent (decimal); nullopt when absent, empty or not a number.
std::optional<std::uint64_t> parse_event_id(std::string_view text);

}  // namespace serenade::lifecycle
