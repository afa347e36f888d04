#pragma once
// One hub per song being generated: a single upstream reader appends Sonauto's stream to the song's
// capture file, and any number of listeners read that file at their own offsets, woken when it grows.
//
//   state        moved by
//   capturing    start(); bytes are appended as they arrive
//   capturing →  capturing   upstream dropped while Sonauto still generates, or refused "not ready" just after
//                            readiness: reconnect with capped backoff, verify the replayed prefix against the
//                            file, append only what is new
//   capturing →  complete    the upstream body ended cleanly, or was cut (or expired) once Sonauto's status says
//                            generation is over (live/upstream_end.hpp): file fsynced, kept as the archive's
//                            <id>.live.mp3
//   capturing →  abandoned   the upstream cannot be resumed (refused, FAILURE, retries exhausted) or the
//                            capture cannot be written; listeners are cut at what was captured
// Sonauto does not promise that a replay repeats the bytes it sent before: it may be another encode of the song.
// Listeners are only ever shown whole MP3 frames (live/frame_cursor.hpp), so a replay that differs is spliced at
// a frame boundary: the capture is cut back to its last whole frame N - 1, and the new stream goes on from its own
// frame N, the same moment of the song; listeners keep playing (docs/architecture.md says why at N exactly).
// Only a capture whose frames cannot be followed (not MPEG audio, or resumed after a restart) restarts from byte 0
// (epoch + 1), its old listeners cut so that no one hears a splice that was not made at a frame.
//
// Listeners see the capture in steps (live/wake_coalescer.hpp): size() is what has been shown to them, and the
// bytes of the latest step stay in memory (edge()) so that listeners at the live edge send them with one write
// instead of reading the file.
#include "archive/capture_file.hpp"
#include "core/waiter_list.hpp"
#include "live/frame_cursor.hpp"
#include "live/wake_coalescer.hpp"
#include "sonauto/failure.hpp"
#include "sonauto/task_status.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace serenade::core {
class blocking_pool;
class task_group;
}
namespace serenade::sonauto {
class client;
class upstream_stream;
}

namespace serenade::live {

struct hub_options {
  std::string capture_dir;  // where the capture grows: this instance's own folder
  std::string archive_dir;  // where the complete capture is kept (archive/capture_file.hpp)
  // Where the capture file is written, checked and fsynced, so that a slow disk never holds an I/O thread.
  // Null runs that work inline (tests of the hub alone).
  core::blocking_pool* disk = nullptr;
  std::chrono::milliseconds first_backoff{250};
  std::chrono::milliseconds max_backoff{5000};
  int max_attempts_without_progress = 8;
  // Sonauto's stream may answer "not ready" (400, or 404) for a moment after the status said it was: for this
  // long after the capture starts, and before any byte arrived, such answers are retried instead of final.
  std::chrono::seconds ready_grace{15};
  // After a capture was abandoned, listeners are refused (503, Retry-After) for this long instead of each
  // opening another upstream stream: a crowd or a script asking again cannot multiply Sonauto requests.
  std::chrono::seconds failed_capture_pause{30};
  // A capture that would grow beyond this is abandoned: an upstream that never stops cannot fill the disk.
  std::uint64_t max_capture_bytes = 64ull * 1024 * 1024;
  wake_limits wake;
  // Several instances: asked before each connection, where the song's stream comes from. A URL: the instance that
  // owns the song relays its own capture (its /api/stream/{id}), and this hub is an edge of it, with no Sonauto
  // connection of its own; the owner sends only whole frames and the same bytes on every connection, and a cut
  // is always retried, asking again, so an owner's death moves the edge to the next owner (or to Sonauto once
  // this instance owns the song) with no gap. Nullopt, or unset: Sonauto's stream.
  std::function<boost::asio::awaitable<std::optional<std::string>>(std::string session_id)> origin;
  // Sent with each request to an owner (api/relay_key.hpp).
  std::vector<std::pair<std::string, std::string>> origin_headers;
};

// The bytes of the latest step shown to listeners: [offset, offset + bytes.size()) of the capture of `epoch`.
// Immutable once shown, so listeners on any thread read it without a lock.
struct edge_piece {
  std::uint64_t epoch = 0;
  std::uint64_t offset = 0;
  std::string bytes;  // empty when the step was too large to keep in memory: read it from the file
};

struct hub_counters {
  std::atomic<std::uint64_t> upstream_connections_open{0};
  std::atomic<std::uint64_t> upstream_reconnects{0};
  std::atomic<std::uint64_t> replay_mismatches{0};
  std::atomic<std::uint64_t> replay_splices{0};  // mismatches continued at a frame boundary
  std::atomic<std::uint64_t> capture_bytes{0};
  std::atomic<std::uint64_t> capture_pieces{0};  // reads from upstream that brought new audio
  std::atomic<std::uint64_t> live_steps{0};      // new bytes shown to listeners (one wake each)
  std::atomic<std::uint64_t> capture_write_failures{0};
  std::atomic<std::uint64_t> captures_too_large{0};  // abandoned at hub_options::max_capture_bytes
  std::atomic<std::uint64_t> listeners_live{0};
  std::atomic<std::uint64_t> bytes_relayed{0};
  std::atomic<std::uint64_t> stalled_listeners_closed{0};
  std::atomic<std::uint64_t> captures_started{0};
  std::atomic<std::uint64_t> edge_connections{0};  // connections to the owning instance instead of Sonauto
  std::atomic<std::uint64_t> captures_resumed{0};  // started with bytes kept from a previous run
  std::atomic<std::uint64_t> captures_completed{0};
  // How completed captures ended: Sonauto's final chunk, a cut once generation was over, or expiry (404).
  std::atomic<std::uint64_t> captures_ended_final_chunk{0};
  std::atomic<std::uint64_t> captures_ended_cut{0};
  std::atomic<std::uint64_t> captures_ended_expired{0};
  std::atomic<std::uint64_t> upstream_drops{0};
  std::atomic<std::uint64_t> listeners_gone{0};
  std::atomic<std::uint64_t> listeners_cut_by_upstream{0};
};

enum class hub_state { capturing, complete, abandoned };

class hub : public std::enable_shared_from_this<hub> {
 public:
  hub(boost::asio::any_io_executor executor, std::string session_id, std::string task_id, sonauto::client& client,
      const hub_options& options, hub_counters& counters);
  ~hub();

  // Opens (or reopens, after a restart) the capture file and starts the upstream reader in `background`. Throws
  // std::system_error when the capture file cannot be opened, std::runtime_error once `background` is closed.
  void start(core::task_group& background);

  const std::string& session_id() const { return session_id_; }
  const std::string& task_id() const { return task_id_; }
  // Bytes shown to listeners; the file may hold a few more, to be shown at the next step.
  std::uint64_t size() const { return size_.load(std::memory_order_acquire); }
  hub_state state() const { return state_.load(std::memory_order_acquire); }
  std::uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  int read_fd() const { return file_->read_fd(); }
  // Why the capture was abandoned, for the 502 a listener gets when nothing was captured.
  std::string failure() const;
  // The latest step's bytes; null before the first step and after a restart.
  std::shared_ptr<const edge_piece> edge() const;

  // Runs `wake` on its executor once size() is larger than `known`, the epoch differs from `seen_epoch`, or the
  // capture has ended; at once (on the caller's thread) if that is already so. The waiters of one executor are
  // woken together, by one posted function.
  void notify_beyond(std::uint64_t known, std::uint64_t seen_epoch, core::waiter_list::on_executor wake);

  // Tests drive a hub without an upstream: open the capture file, then append, restart or end it by hand. Their
  // bytes need not be MP3 frames: every appended byte is shown.
  // Its maker deleted the song: every listener is cut at once (as by a restarted capture), the capture stops at its
  // next step and keeps nothing. Thread-safe.
  void take_back();
  bool taken_back() const { return taken_back_.load(std::memory_order_acquire); }
  // Appended bytes are shown as the wake limits say (their deadline runs on the hub's executor).
  void open_for_test();
  void append_for_test(std::string_view bytes);
  void restart_for_test();
  void end_for_test(hub_state state);

 private:
  void open_capture();
  boost::asio::awaitable<void> capture();
  // A connection to the song's stream: from Sonauto, or relayed by the instance at `origin`.
  boost::asio::awaitable<sonauto::outcome<std::unique_ptr<sonauto::upstream_stream>>> open_upstream(
      const std::optional<std::string>& origin);
  bool append(std::span<const char> bytes);
  void captured(std::span<const char> bytes);
  // Shows what was captured: whole frames only while the capture can follow them, else (or with `everything`,
  // at the end) every byte.
  void show_captured(bool everything = false);
  void show_when_due();
  void discard_capture();
  void restart_capture();
  // Cuts the counts back to the last whole frame, once the file was cut (truncate_to_whole_frames).
  void cut_to_whole_frames();
  // The file cut back to the last whole frame, then the counts (cut_to_whole_frames); false when the disk refused.
  boost::asio::awaitable<bool> truncate_to_whole_frames();
  // Appends bytes of the upstream to the capture (capped at max_capture_bytes); false once the capture was
  // abandoned because of them.
  boost::asio::awaitable<bool> append_upstream(std::span<const char> bytes);
  void store_capture();
  void publish(hub_state state);
  void abandon(std::string reason);
  enum class capture_end { final_chunk, cut_after_generation, expired };
  void finish_capture(capture_end how);
  boost::asio::awaitable<void> complete_capture(capture_end how);
  boost::asio::awaitable<std::optional<sonauto::task_status>> upstream_status();

  boost::asio::any_io_executor executor_;
  std::string session_id_;
  std::string task_id_;
  sonauto::client& client_;
  hub_options options_;
  hub_counters& counters_;
  std::unique_ptr<archive::capture_file> file_;
  std::atomic<std::uint64_t> captured_{0};  // bytes in the file
  std::atomic<std::uint64_t> size_{0};      // bytes shown to listeners
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<hub_state> state_{hub_state::capturing};
  std::atomic<bool> taken_back_{false};

  // Its lock also orders every change of size, epoch and state against the listeners' readiness checks.
  core::waiter_list waiters_;
  std::string failure_;                      // guarded by waiters_' lock
  std::shared_ptr<const edge_piece> edge_;  // guarded by waiters_' lock

  // On the hub's executor only: what was captured and not shown yet, and the timer that shows it in time.
  wake_coalescer coalescer_;
  frame_cursor frames_;     // the capture's frames
  bool any_bytes_ = false;  // a test's capture: its bytes are not frames, and are shown as they come
  std::string pending_;
  bool pending_kept_ = true;  // false once pending_ outgrew what is kept in memory
  struct show_timer;
  std::unique_ptr<show_timer> show_timer_;
};

}  // namespace serenade::live
