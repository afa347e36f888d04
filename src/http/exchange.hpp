#pragma once
// One request and the means to answer it. A handler either respond()s once, or streams a chunked body:
// start_chunked → write_chunk… → finish_chunked (complete) or abort (cut: no final chunk, connection closed,
// so the client can tell a truncated song from a finished one).
#include "http/message.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

namespace serenade::http {

class exchange {
 public:
  virtual ~exchange() = default;

  virtual const request& req() const = 0;

  // A complete response. For HEAD only the header goes out, with the body's Content-Length.
  virtual boost::asio::awaitable<void> respond(response r) = 0;

  // A response whose body is `length` bytes of a file from `offset`, sent with sendfile. Content-Length is set
  // here; HEAD sends only the header. False when the client went away or stalled.
  virtual boost::asio::awaitable<bool> respond_with_file(unsigned status, header_list headers, int fd,
                                                         std::uint64_t offset, std::uint64_t length) = 0;
  // The same, with `prefix` (bytes held in memory) sent first: Content-Length covers both.
  virtual boost::asio::awaitable<bool> respond_with_prefixed_file(unsigned status, header_list headers,
                                                                  std::string_view prefix, int fd,
                                                                  std::uint64_t offset, std::uint64_t length) = 0;

  // Starts a body of unknown length (Transfer-Encoding: chunked).
  virtual boost::asio::awaitable<void> start_chunked(unsigned status, header_list headers) = 0;
  // False once the client is gone or accepted nothing for the write timeout; the caller should stop.
  virtual boost::asio::awaitable<bool> write_chunk(std::span<const char> data) = 0;
  virtual boost::asio::awaitable<void> finish_chunked() = 0;
  // One chunk whose bytes come straight from a file (sendfile on plain TCP: no copy through user space).
  // False once the client is gone or stalled (see write_stalled()).
  virtual boost::asio::awaitable<bool> send_file_chunk(int fd, std::uint64_t offset, std::size_t length) = 0;
  // Ends the connection without completing the response. Safe to call twice.
  virtual void abort() = 0;

  // `left` runs once, on the connection's executor, when the client closes its side or the connection fails,
  // unless stop_watching_peer() came first. No coroutine is held meanwhile, which matters for a response that
  // lasts minutes (a live listener). Call stop_watching_peer() before the response returns. To run a coroutine
  // until the client leaves, use http::until_peer_leaves (peer_watch.hpp).
  virtual void watch_peer(std::function<void()> left) = 0;
  virtual void stop_watching_peer() = 0;
  virtual bool peer_left() const = 0;

  virtual bool response_started() const = 0;
  // True when a write was abandoned because the client accepted no bytes for the write timeout.
  virtual bool write_stalled() const = 0;
  virtual unsigned response_status() const = 0;
  virtual std::uint64_t body_bytes_sent() const = 0;
};

}  // namespace serenade::http
