#include "http/detail/socket_io.hpp"

#include <algorithm>

#include "core/wake_event.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/read_size.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>

#include <utility>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>

namespace serenade::http::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {
bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }
}  // namespace

socket_io::socket_io(tcp::socket socket) : socket_(std::move(socket)), watchdog_(socket_.get_executor()) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

void socket_io::bound_send_buffer(std::size_t bytes) {
  if (send_buffer_bounded_) return;
  send_buffer_bounded_ = true;
  boost::system::error_code ignored;
  socket_.set_option(asio::socket_base::send_buffer_size(static_cast<int>(bytes)), ignored);
}

void socket_io::limit_unsent(std::size_t bytes) {
  const int limit = static_cast<int>(bytes);
  ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &limit, sizeof limit);
}

std::size_t socket_io::segment_size() {
  if (segment_size_uses_++ % segment_size_asked_every != 0) return segment_size_;
  int bytes = 0;
  socklen_t size = sizeof bytes;
  const bool known = ::getsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_MAXSEG, &bytes, &size) == 0 && bytes > 0;
  segment_size_ = known ? static_cast<std::size_t>(bytes) : 0;
  return segment_size_;
}

void socket_io::watch_peer(std::function<void()> left) {
  on_peer_left_ = std::move(left);
  // A stopped watch's read still pending is taken over: its completion re-arms (see on_peer_watch).
  if (!watch_read_pending_) arm_peer_watch();
}

void socket_io::arm_peer_watch() {
  watch_read_pending_ = true;
  auto completed = [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
    self->on_peer_watch(error);
  };
  socket_.async_read_some(asio::buffer(peer_scratch_),
                          asio::bind_cancellation_slot(peer_watch_cancel_.slot(), std::move(completed)));
}

void socket_io::on_peer_watch(const boost::system::error_code& error) {
  watch_read_pending_ = false;
  const bool watching = static_cast<bool>(on_peer_left_);
  if (!error || error == asio::error::operation_aborted) {
    if (!error) peer_sent_data_ = true;
    // Aborted with a watch set: stopped and watched again, or the socket was closed here (the next read then
    // fails at once and reports the peer gone).
    if (watching) {
      arm_peer_watch();
    } else {
      settled();
    }
    return;
  }
  peer_left_ = true;
  const auto left = std::move(on_peer_left_);
  on_peer_left_ = nullptr;
  settled();
  if (left) left();
}

void socket_io::stop_watching_peer() {
  if (!on_peer_left_) return;  // not watching, or the peer already left (no read pending)
  on_peer_left_ = nullptr;
  if (watch_read_pending_) peer_watch_cancel_.emit(asio::cancellation_type::terminal);
}

asio::awaitable<void> socket_io::settle_peer_watch() {
  if (!peer_watch_unsettled()) co_return;
  core::wake_event read_completed(socket_.get_executor());
  on_settled_ = read_completed.notifier();
  co_await read_completed.async_wait();
}

void socket_io::settled() {
  if (auto resume = std::exchange(on_settled_, nullptr)) resume();
}

void socket_io::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  watchdog_.cancel();
}

// The watchdog is armed only when a wait begins with a deadline earlier than its next firing; a later
// deadline just moves deadline_, and the watchdog re-arms itself when it fires early. So steady traffic with
// the same timeouts costs one timer operation per timeout period, not one per request.
void socket_io::watch(clock::time_point deadline) {
  deadline_ = deadline;
  if (deadline >= armed_) return;
  armed_ = deadline;
  watchdog_.expires_at(deadline);
  watchdog_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec != asio::error::operation_aborted) self->on_watchdog();
  });
}

void socket_io::on_watchdog() {
  armed_ = clock::time_point::max();
  if (deadline_ == clock::time_point::max() || !socket_.is_open()) return;
  if (clock::now() < deadline_) {
    watch(deadline_);
    return;
  }
  timed_out_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);  // fails the wait in progress
}

asio::awaitable<io_result> socket_io::wait(asio::socket_base::wait_type what, clock::time_point deadline) {
  if (!socket_.is_open()) co_return timed_out_ ? io_result::timed_out : io_result::closed;
  watch(deadline);
  auto [ec] = co_await socket_.async_wait(what, use_tuple);
  deadline_ = clock::time_point::max();
  if (timed_out_) co_return io_result::timed_out;
  co_return ec ? io_result::closed : io_result::ok;
}

// Asio's own receive: it tries recv(2) at once and, on EAGAIN, queues on the descriptor's edge-triggered epoll
// registration as it is. A readiness wait (async_wait) re-arms with epoll_ctl(2) every time: one system call per
// keep-alive request more (docs/performance.md, "Keep-alive reads").
asio::awaitable<io_result> socket_io::read_some(boost::beast::flat_buffer& buffer, clock::time_point deadline) {
  if (buffer.size() >= buffer.max_size()) co_return io_result::closed;
  if (!socket_.is_open()) co_return timed_out_ ? io_result::timed_out : io_result::closed;
  auto space = buffer.prepare(boost::beast::read_size(buffer, 65536));
  watch(deadline);
  auto [ec, got] = co_await socket_.async_receive(space, use_tuple);
  deadline_ = clock::time_point::max();
  if (timed_out_) co_return io_result::timed_out;
  if (ec) co_return io_result::closed;
  buffer.commit(got);
  co_return io_result::ok;
}

asio::awaitable<io_result> socket_io::write_all(std::span<const std::string_view> pieces, clock::duration stall,
                                               bool more_follows) {
  std::array<iovec, 8> vec{};
  std::size_t count = 0;
  for (const auto piece : pieces) {
    if (piece.empty()) continue;
    if (count == vec.size()) co_return io_result::closed;  // callers send a few pieces; never reached
    vec[count++] = {const_cast<char*>(piece.data()), piece.size()};
  }
  std::size_t first = 0;
  while (first < count) {
    msghdr message{};
    message.msg_iov = vec.data() + first;
    message.msg_iovlen = count - first;
    const auto sent = ::sendmsg(socket_.native_handle(), &message, MSG_NOSIGNAL | (more_follows ? MSG_MORE : 0));
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (!would_block(errno)) co_return io_result::closed;
      const auto deadline = clock::now() + stall;
      const auto waited = co_await wait(tcp::socket::wait_write, deadline);
      if (waited != io_result::ok) co_return waited;
      continue;
    }
    auto left = static_cast<std::size_t>(sent);
    while (first < count && left >= vec[first].iov_len) left -= vec[first++].iov_len;
    if (first < count) {
      vec[first].iov_base = static_cast<char*>(vec[first].iov_base) + left;
      vec[first].iov_len -= left;
    }
  }
  co_return io_result::ok;
}

asio::awaitable<io_result> socket_io::send_file(int fd, std::uint64_t offset, std::size_t length,
                                                clock::duration stall, clock::time_point give_up) {
  auto position = static_cast<off_t>(offset);
  while (length > 0) {
    const auto sent = ::sendfile(socket_.native_handle(), fd, &position, length);
    if (sent > 0) {
      length -= static_cast<std::size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    // 0 means the file is shorter than promised; other errors mean the peer is gone (EPIPE, ECONNRESET).
    if (sent == 0 || !would_block(errno)) co_return io_result::closed;
    const auto deadline = std::min(clock::now() + stall, give_up);
    const auto waited = co_await wait(tcp::socket::wait_write, deadline);
    if (waited != io_result::ok) co_return waited;
  }
  co_return io_result::ok;
}

}  // namespace serenade::http::detail
