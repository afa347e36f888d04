#include "http/testing/fake_exchange.hpp"

#include <unistd.h>

#include <stdexcept>

namespace serenade::http::testing {

namespace asio = boost::asio;

namespace {
std::string read_file(int fd, std::uint64_t offset, std::uint64_t length) {
  std::string bytes(length, '\0');
  const auto got = ::pread(fd, bytes.data(), length, static_cast<off_t>(offset));
  if (got != static_cast<ssize_t>(length)) throw std::runtime_error("the file is shorter than the chunk sent");
  return bytes;
}
}  // namespace

std::string exchange_record::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

fake_exchange::fake_exchange(request req) : req_(std::move(req)) {}

fake_exchange::~fake_exchange() = default;

request fake_exchange::get(std::string path, header_list headers) {
  request req;
  req.method = "GET";
  req.target = path;
  const auto question = path.find('?');
  req.path = path.substr(0, question);
  if (question != std::string::npos) req.query = path.substr(question + 1);
  req.headers = std::move(headers);
  req.remote_address = "127.0.0.1";
  return req;
}

void fake_exchange::peer_leaves() {
  peer_left_ = true;
  if (auto left = std::exchange(on_peer_left_, nullptr)) left();
}

void fake_exchange::stall_writes() { stalled_ = true; }

asio::awaitable<void> fake_exchange::respond(response r) {
  record.status = r.status;
  record.headers = std::move(r.headers);
  if (!req_.is_head()) record.body = std::move(r.body);
  co_return;
}

asio::awaitable<bool> fake_exchange::respond_with_file(unsigned status, header_list headers, int fd,
                                                       std::uint64_t offset, std::uint64_t length) {
  record.status = status;
  record.headers = std::move(headers);
  if (!can_write()) co_return req_.is_head() && !peer_left_;
  record.body = read_file(fd, offset, length);
  co_return true;
}

asio::awaitable<bool> fake_exchange::respond_with_prefixed_file(unsigned status, header_list headers,
                                                                std::string_view prefix, int fd, std::uint64_t offset,
                                                                std::uint64_t length) {
  record.status = status;
  record.headers = std::move(headers);
  if (!can_write()) co_return req_.is_head() && !peer_left_;
  record.body = std::string(prefix) + read_file(fd, offset, length);
  co_return true;
}

asio::awaitable<void> fake_exchange::start_chunked(unsigned status, header_list headers) {
  record.status = status;
  record.headers = std::move(headers);
  record.chunked = true;
  co_return;
}

void fake_exchange::add_chunk(std::string bytes) {
  record.body += bytes;
  record.chunks.push_back(std::move(bytes));
}

asio::awaitable<bool> fake_exchange::write_chunk(std::span<const char> data) {
  if (!can_write()) co_return false;
  if (!data.empty()) add_chunk(std::string(data.data(), data.size()));
  co_return true;
}

asio::awaitable<void> fake_exchange::finish_chunked() {
  if (can_write()) record.finished = true;
  co_return;
}

asio::awaitable<bool> fake_exchange::send_file_chunk(int fd, std::uint64_t offset, std::size_t length) {
  if (!can_write()) co_return false;
  if (length > 0) {
    add_chunk(read_file(fd, offset, length));
    ++record.file_chunks;
  }
  co_return true;
}

void fake_exchange::abort() { record.aborted = true; }

void fake_exchange::watch_peer(std::function<void()> left) {
  if (peer_left_) {
    left();
    return;
  }
  on_peer_left_ = std::move(left);
}

void fake_exchange::stop_watching_peer() { on_peer_left_ = nullptr; }

}  // namespace serenade::http::testing
