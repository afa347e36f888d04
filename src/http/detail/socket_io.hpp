#pragma once
// A client connection's socket without Beast's stream: the system call is tried first (the socket is
// non-blocking), a readiness wait happens only when the kernel says EAGAIN, and a single watchdog timer per
// connection enforces deadlines, so a read or write that completes at once schedules no timer operation.
// Only server.cpp uses this; it is here to keep the server's file about connections, not system calls.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

namespace serenade::http::detail {

enum class io_result {
  ok,
  closed,     // the peer left, the socket failed, or it was closed here (abort, stop)
  timed_out,  // the deadline passed first; the socket is closed
};

class socket_io : public std::enable_shared_from_this<socket_io> {
 public:
  using clock = std::chrono::steady_clock;

  explicit socket_io(boost::asio::ip::tcp::socket socket);
  socket_io(const socket_io&) = delete;
  socket_io& operator=(const socket_io&) = delete;

  boost::asio::ip::tcp::socket& socket() { return socket_; }

  // Appends at least one byte to `buffer` (up to its max_size), waiting for data until `deadline`.
  boost::asio::awaitable<io_result> read_some(boost::beast::flat_buffer& buffer, clock::time_point deadline);

  // Writes every byte of `pieces` with one sendmsg(2) when the socket takes them all (the usual case).
  // A wait for writability longer than `stall` closes the connection. With `more_follows` the kernel holds the
  // bytes back (MSG_MORE) until the next write, which must come at once, joins them in a segment.
  boost::asio::awaitable<io_result> write_all(std::span<const std::string_view> pieces, clock::duration stall,
                                              bool more_follows = false);

  // sendfile(2) of `length` bytes from `offset`: the page cache feeds the socket; no copy through user space.
  // A wait that would end after `give_up` ends there instead (timed_out), however the client keeps up.
  boost::asio::awaitable<io_result> send_file(int fd, std::uint64_t offset, std::size_t length,
                                              clock::duration stall,
                                              clock::time_point give_up = clock::time_point::max());

  // SO_SNDBUF, set once per connection (later calls do nothing).
  void bound_send_buffer(std::size_t bytes);

  // TCP_NOTSENT_LOWAT: writes take bytes only while fewer than this wait unsent in the kernel.
  void limit_unsent(std::size_t bytes);

  // The connection's TCP segment size (TCP_MAXSEG); 0 when the kernel does not say. It changes during a
  // connection's life (the kernel keeps it to half the peer's largest window), so it is asked again every
  // `segment_size_asked_every` calls; a stale size costs an answer one segment more, never a wrong byte.
  std::size_t segment_size();
  static constexpr unsigned segment_size_asked_every = 16;

  // Calls `left` once, on the socket's executor, when the peer closes its side or the connection fails or is
  // closed here, until stop_watching_peer(). Bytes the peer sends meanwhile (a pipelined request during a long
  // response) are dropped and remembered. A pending read with a callback, not a coroutine: it stays for a live
  // listener's whole stay, and a coroutine race would hold frames for as long.
  void watch_peer(std::function<void()> left);
  // Cancels the watch's read. Until that read has completed the connection cannot take another request (the
  // read might yet take its first bytes): see peer_watch_unsettled().
  void stop_watching_peer();
  bool peer_left() const { return peer_left_; }
  // A stopped watch whose read has not completed yet; settle_peer_watch() waits for it. A cancelled read
  // completes with operation_aborted and took no byte, so the connection may then serve the next request.
  bool peer_watch_unsettled() const { return watch_read_pending_ && !on_peer_left_; }
  boost::asio::awaitable<void> settle_peer_watch();
  // False once a watch saw the peer leave or send bytes, or its read is still unsettled.
  bool can_serve_another_request() const { return !peer_left_ && !peer_sent_data_ && !watch_read_pending_; }

  void close();
  bool is_open() const { return socket_.is_open(); }

 private:
  boost::asio::awaitable<io_result> wait(boost::asio::socket_base::wait_type what, clock::time_point deadline);
  void watch(clock::time_point deadline);
  void on_watchdog();
  void arm_peer_watch();
  void on_peer_watch(const boost::system::error_code& error);
  void settled();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer watchdog_;
  clock::time_point deadline_ = clock::time_point::max();  // of the wait in progress; max when none
  clock::time_point armed_ = clock::time_point::max();     // when the watchdog fires next; max when idle
  bool timed_out_ = false;
  bool send_buffer_bounded_ = false;
  std::size_t segment_size_ = 0;
  unsigned segment_size_uses_ = 0;  // calls so far
  std::function<void()> on_peer_left_;  // empty when not watching: a late completion is then ignored
  boost::asio::cancellation_signal peer_watch_cancel_;
  std::array<char, 16> peer_scratch_{};
  std::function<void()> on_settled_;  // settle_peer_watch() waiting
  bool watch_read_pending_ = false;
  bool peer_left_ = false;
  bool peer_sent_data_ = false;
};

}  // namespace serenade::http::detail
