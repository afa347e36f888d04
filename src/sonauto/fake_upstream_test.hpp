#pragma once
// Test support for src/sonauto (included by *_test.cpp only): a scripted fake upstream — a Beast server on
// 127.0.0.1:0 running on its own thread, where each test writes what the upstream does with one connection, byte for
// byte when framing matters — and helpers to run client coroutines against it.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sonauto/client.hpp"

namespace serenade::sonauto::test {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

inline constexpr auto as_values = asio::as_tuple(asio::use_awaitable);
inline const std::string test_key = "sksonauto_test_0123456789abcdef";

// ---- the fake upstream ----

class fake_upstream {
 public:
  using script = std::function<asio::awaitable<void>(tcp::socket)>;

  fake_upstream() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  ~fake_upstream() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Serves every accepted connection with `handle`, on the fake's own thread.
  void start(script handle) {
    handle_ = std::move(handle);
    asio::co_spawn(io_, accept_loop(), [](std::exception_ptr) {});
    thread_ = std::thread([this] { io_.run(); });
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port()); }

  // Reads one request and records it for the test to inspect.
  template <class Stream>
  asio::awaitable<http::request<http::string_body>> read_request(Stream& stream) {
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    auto [ec, n] = co_await http::async_read(stream, buffer, request, as_values);
    if (!ec) {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    co_return request;
  }

  std::vector<http::request<http::string_body>> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  // An event a fake script waits for and the test opens from its own thread.
  asio::awaitable<void> wait_gate() { co_await gate_.async_wait(as_values); }
  void open_gate() {
    asio::post(io_, [this] { gate_.expires_at(std::chrono::steady_clock::time_point::min()); });
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(as_values);
      if (ec) co_return;
      asio::co_spawn(io_, handle_(std::move(socket)), [](std::exception_ptr) {});
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer gate_{io_, std::chrono::steady_clock::time_point::max()};
  script handle_;
  mutable std::mutex mutex_;
  std::vector<http::request<http::string_body>> requests_;
  std::thread thread_;
};

template <class Stream>
asio::awaitable<void> write_raw(Stream& stream, std::string bytes) {
  co_await asio::async_write(stream, asio::buffer(bytes), as_values);
}

// Holds the connection open, saying nothing, until the client goes away.
inline asio::awaitable<void> wait_for_peer_close(tcp::socket& socket) {
  char sink[1024];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), as_values);
    if (ec) co_return;
  }
}

inline std::string response(unsigned status, std::string_view body, std::string_view type = "application/json") {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + std::string(type) +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

inline std::string chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + std::string(data) + "\r\n";
}

inline std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// Answers every connection with one canned response after reading the request.
inline fake_upstream::script answer_with(fake_upstream& fake, std::string canned) {
  return [&fake, canned](tcp::socket socket) -> asio::awaitable<void> {
    co_await fake.read_request(socket);
    co_await write_raw(socket, canned);
    co_await wait_for_peer_close(socket);
  };
}

inline client_options options_for(const fake_upstream& fake) {
  client_options options;
  options.api_key = test_key;
  options.api_base = fake.base() + "/v1";
  options.stream_base = fake.base();
  options.connect_timeout = 5s;
  options.request_timeout = 5s;
  options.stream_read_timeout = 5s;
  return options;
}

// Runs one client coroutine on a fresh io_context in this thread; a hang fails the test instead of blocking ctest.
template <class T>
T run(asio::awaitable<T> task, std::chrono::milliseconds deadline = 8s) {
  asio::io_context io;
  std::optional<T> result;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result = std::move(value);
  });
  io.run_for(deadline);
  if (error) std::rethrow_exception(error);
  if (!result) throw std::runtime_error("client coroutine did not finish before the test deadline");
  return std::move(*result);
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace serenade::sonauto::test
