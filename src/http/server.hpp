#pragma once
// The HTTP/1.1 server: accept loop, one coroutine per connection on its own strand, keep-alive,
// header/body limits and timeouts, a connection limit shared fairly (a cap per client; at the limit the
// connection idle longest makes room), and a graceful stop.
#include "http/router.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace serenade::http {

// What the server refused or cut to stay fair, for /metrics.
struct connection_counters {
  std::atomic<std::uint64_t> refused_at_limit{0};        // 503: no connection left to close for room
  std::atomic<std::uint64_t> refused_client_at_cap{0};   // 429: the client already holds its share
  std::atomic<std::uint64_t> idle_closed_for_room{0};    // idle keep-alive connections closed, oldest first
  std::atomic<std::uint64_t> file_answers_too_slow{0};   // cut for reading below the minimum rate
};

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::size_t max_connections = 10000;
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::chrono::seconds header_timeout{10};  // whole request (header and body) after its first byte is awaited
  std::chrono::seconds idle_timeout{60};    // between requests on a keep-alive connection
  std::chrono::seconds write_timeout{60};   // a write that makes no progress for this long closes the connection
  // SO_SNDBUF of a connection once it is sent a file answer longer than this (a whole song, not a range);
  // 0 leaves the kernel's autotuning everywhere. Bounded, the server's own sendfile(2) calls push the file as
  // the window opens; autotuned, one call queues the whole song and the kernel sends it from the client's
  // acknowledgements, on the client's core. Live streams keep the autotuning: bounded, many real-time listeners
  // need so many more writability wake-ups that they stall (docs/performance.md, "Send buffer").
  std::size_t send_buffer_bytes = 128 * 1024;
  // TCP_NOTSENT_LOWAT of every connection: the kernel takes more of a response only while fewer bytes than
  // this wait unsent. Without it a listener that reads slowly (a browser at the song's pace) has megabytes
  // queued in the kernel for it, and a crowd of them runs the machine's TCP memory out (drops, retransmission
  // timeouts, stalls); fast readers are pushed by the server's own sendfile calls as the window opens instead
  // of from acknowledgements on the client's core. The in-flight window is not limited
  // (docs/performance.md, "Unsent limit"). 0: the kernel's default.
  std::size_t unsent_limit_bytes = 128 * 1024;
  // Connections one client (an IPv4 address, an IPv6 /64) may hold at once; beyond: 429. 0: no cap. Not applied
  // when every connection comes from a trusted proxy (the proxy is then the only address seen).
  std::size_t max_connections_per_client = 64;
  bool connections_come_through_proxy = false;
  // A file answer must average at least this many bytes per second after write_timeout of slack, or it is cut:
  // a client reading a byte now and then cannot hold a connection for ever. 0: no such deadline.
  std::uint64_t min_file_send_rate = 4096;
  // What a request whose handler threw before answering gets, from the exception: e.g. 503 while a service it
  // needs is away. Nothing (or no function): 500.
  std::function<std::optional<response>(std::exception_ptr)> answer_for_failure;
  connection_counters* counters = nullptr;  // optional; must outlive the server
  std::string name = "serenade";            // for log lines
};

// Called once per finished request, for access logs and metrics.
struct request_record {
  std::string_view method;
  std::string_view route;  // the matched pattern, or "unmatched"
  unsigned status;
  std::uint64_t body_bytes;
  std::chrono::steady_clock::duration duration;
};
using request_observer = std::function<void(const request_record&)>;

class server {
 public:
  // Connections are spread round-robin over `connection_executors` (each a single-threaded io_context, so a
  // connection's work never hops between threads); empty: they run on `executor`, like the accept loop.
  server(boost::asio::any_io_executor executor, server_options options, router routes,
         std::vector<boost::asio::any_io_executor> connection_executors = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and starts accepting; returns the bound port (useful with port 0). Throws on bind failure.
  std::uint16_t start();
  void set_observer(request_observer observer);

  // Stops accepting, closes idle keep-alive connections at once, lets running responses continue for
  // `grace`, then closes what is left. on_stopped runs once every connection is gone.
  void stop(std::chrono::seconds grace, std::function<void()> on_stopped);

  std::size_t active_connections() const;
  // The most connections open at once since the previous call (or the start); the count then starts again
  // from the connections open now.
  std::size_t take_connection_peak();

  struct state;  // defined in server.cpp

 private:
  std::shared_ptr<state> state_;
};

}  // namespace serenade::http
