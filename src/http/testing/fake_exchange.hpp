#pragma once
// A test double of http::exchange: records what a handler answers (status, headers, body bytes, chunks, finish
// or abort) and lets a test play the client: leave, stall writes. Linked into unit tests only.
#include "http/exchange.hpp"

#include <string>
#include <vector>

namespace serenade::http::testing {

struct exchange_record {
  unsigned status = 0;
  header_list headers;
  bool chunked = false;
  std::string body;                 // every body byte sent, chunks joined (file chunks read from their file)
  std::vector<std::string> chunks;  // each chunk as written
  std::size_t file_chunks = 0;      // how many of them were sent from a file (send_file_chunk)
  bool finished = false;            // the final chunk went out
  bool aborted = false;

  std::string header(std::string_view name) const;
};

class fake_exchange final : public exchange {
 public:
  explicit fake_exchange(request req);
  static request get(std::string path, header_list headers = {});
  ~fake_exchange() override;

  exchange_record record;

  // The client closes its side: the watch's callback runs; later writes fail.
  void peer_leaves();
  // Every later write fails as if the client accepted nothing for the write timeout.
  void stall_writes();
  bool watching_peer() const { return static_cast<bool>(on_peer_left_); }

  const request& req() const override { return req_; }
  boost::asio::awaitable<void> respond(response r) override;
  boost::asio::awaitable<bool> respond_with_file(unsigned status, header_list headers, int fd, std::uint64_t offset,
                                                 std::uint64_t length) override;
  boost::asio::awaitable<bool> respond_with_prefixed_file(unsigned status, header_list headers, std::string_view prefix,
                                                          int fd, std::uint64_t offset, std::uint64_t length) override;
  boost::asio::awaitable<void> start_chunked(unsigned status, header_list headers) override;
  boost::asio::awaitable<bool> write_chunk(std::span<const char> data) override;
  boost::asio::awaitable<void> finish_chunked() override;
  boost::asio::awaitable<bool> send_file_chunk(int fd, std::uint64_t offset, std::size_t length) override;
  void abort() override;

  void watch_peer(std::function<void()> left) override;
  void stop_watching_peer() override;
  bool peer_left() const override { return peer_left_; }

  bool response_started() const override { return record.status != 0; }
  bool write_stalled() const override { return stalled_; }
  unsigned response_status() const override { return record.status; }
  std::uint64_t body_bytes_sent() const override { return record.body.size(); }

 private:
  bool can_write() const { return !peer_left_ && !stalled_ && !record.aborted && !req_.is_head(); }
  void add_chunk(std::string bytes);

  request req_;
  std::function<void()> on_peer_left_;
  bool peer_left_ = false;
  bool stalled_ = false;
};

}  // namespace serenade::http::testing
