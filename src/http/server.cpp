#include "http/server.hpp"

#include "core/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <sys/sendfile.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <unordered_map>

namespace serenade::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using namespace asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

// What stop() needs to reach a connection. Only touched on the connection's strand.
struct connection_entry {
  asio::any_io_executor strand;
  beast::tcp_stream* stream = nullptr;  // set while the connection coroutine lives
  bool busy = false;                    // a request is being handled (not idle between requests)
};

}  // namespace

struct server::state {
  state(asio::any_io_executor ex, server_options opts, router r)
      : executor(ex), options(std::move(opts)), routes(std::move(r)), acceptor(ex), grace_timer(ex) {}

  asio::any_io_executor executor;
  server_options options;
  router routes;
  tcp::acceptor acceptor;
  asio::steady_timer grace_timer;
  request_observer observer;

  std::mutex mutex;
  std::unordered_map<std::uint64_t, std::shared_ptr<connection_entry>> connections;
  std::uint64_t next_id = 0;
  std::atomic<bool> stopping{false};
  std::function<void()> on_stopped;  // guarded by mutex; called once

  std::vector<std::shared_ptr<connection_entry>> snapshot() {
    std::lock_guard lock(mutex);
    std::vector<std::shared_ptr<connection_entry>> out;
    out.reserve(connections.size());
    for (auto& [id, entry] : connections) out.push_back(entry);
    return out;
  }

  void unregister(std::uint64_t id) {
    std::function<void()> done;
    {
      std::lock_guard lock(mutex);
      connections.erase(id);
      if (stopping && connections.empty()) done = std::exchange(on_stopped, nullptr);
    }
    if (done) {
      grace_timer.cancel();
      done();
    }
  }
};

namespace {

class beast_exchange final : public exchange {
 public:
  beast_exchange(server::state& s, beast::tcp_stream& stream, request req)
      : state_(s), stream_(stream), req_(std::move(req)) {}

  const request& req() const override { return req_; }
  bool response_started() const override { return started_; }
  unsigned response_status() const override { return status_; }
  std::uint64_t body_bytes_sent() const override { return bytes_; }
  bool must_close() const { return close_ || !req_.keep_alive || state_.stopping; }

  awaitable<void> respond(response r) override {
    started_ = true;
    status_ = r.status;
    const bool keep_alive = !must_close();
    if (req_.is_head()) {
      bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(r.status), 11};
      fill_header(res, r.headers, keep_alive);
      res.content_length(r.body.size());
      co_await write(res);
    } else {
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
      fill_header(res, r.headers, keep_alive);
      res.body() = std::move(r.body);
      res.prepare_payload();
      const auto size = res.body().size();
      if (co_await write(res)) bytes_ = size;
    }
    if (!keep_alive) close_ = true;
  }

  awaitable<bool> respond_with_file(unsigned status, header_list headers, int fd, std::uint64_t offset,
                                    std::uint64_t length) override {
    started_ = true;
    status_ = status;
    bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(status), 11};
    fill_header(res, headers, !must_close());
    res.content_length(length);
    if (!co_await write_header_only(res)) co_return false;
    if (req_.is_head() || length == 0) co_return true;
    if (!co_await sendfile_all(fd, offset, static_cast<std::size_t>(length))) co_return false;
    bytes_ += length;
    co_return true;
  }

  awaitable<void> start_chunked(unsigned status, header_list headers) override {
    started_ = true;
    status_ = status;
    chunked_header_ = {static_cast<bhttp::status>(status), 11};
    fill_header(chunked_header_, headers, !must_close());
    chunked_header_.chunked(true);
    co_await write_header_only(chunked_header_);
  }

  awaitable<bool> write_chunk(std::span<const char> data) override {
    if (close_ || req_.is_head()) co_return false;
    if (data.empty()) co_return true;  // an empty chunk would end the body
    stream_.expires_after(state_.options.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, bhttp::make_chunk(asio::buffer(data.data(), data.size())),
                                              use_tuple);
    stream_.expires_never();
    if (ec) {
      if (ec == beast::error::timeout) stalled_ = true;
      close_ = true;
      co_return false;
    }
    bytes_ += data.size();
    co_return true;
  }

  awaitable<void> finish_chunked() override {
    if (close_ || req_.is_head()) co_return;
    stream_.expires_after(state_.options.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, bhttp::make_chunk_last(), use_tuple);
    stream_.expires_never();
    if (ec) close_ = true;
  }

  awaitable<bool> send_file_chunk(int fd, std::uint64_t offset, std::size_t length) override {
    if (close_ || req_.is_head()) co_return false;
    if (length == 0) co_return true;
    std::array<char, 24> size_line{};
    const int size_length = std::snprintf(size_line.data(), size_line.size(), "%zx\r\n", length);
    if (!co_await write_all(asio::buffer(size_line.data(), static_cast<std::size_t>(size_length)))) co_return false;
    if (!co_await sendfile_all(fd, offset, length)) co_return false;
    if (!co_await write_all(asio::buffer("\r\n", 2))) co_return false;
    bytes_ += length;
    co_return true;
  }

  bool write_stalled() const override { return stalled_; }

  void abort() override {
    close_ = true;
    stream_.close();
  }

  awaitable<void> wait_peer_closed() override {
    std::array<char, 256> scratch{};
    for (;;) {
      auto [ec, n] = co_await stream_.socket().async_read_some(asio::buffer(scratch), use_tuple);
      if (ec) {
        // The client left (or the connection broke): nothing more will come on this connection.
        if (ec != asio::error::operation_aborted) close_ = true;
        co_return;
      }
      // A pipelined request during a long response: not worth keeping the connection for.
      close_ = true;
    }
  }

 private:
  // The status line and headers alone; the body follows by other means (chunks, sendfile) or not at all.
  awaitable<bool> write_header_only(bhttp::response<bhttp::empty_body>& res) {
    bhttp::response_serializer<bhttp::empty_body> serializer{res};
    stream_.expires_after(state_.options.write_timeout);
    auto [ec, n] = co_await bhttp::async_write_header(stream_, serializer, use_tuple);
    stream_.expires_never();
    if (ec) close_ = true;
    co_return !ec;
  }

  awaitable<bool> write_all(asio::const_buffer data) {
    stream_.expires_after(state_.options.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, data, use_tuple);
    stream_.expires_never();
    if (ec) {
      if (ec == beast::error::timeout) stalled_ = true;
      close_ = true;
    }
    co_return !ec;
  }

  // sendfile(2) until `length` bytes are out, waiting for writability (bounded by the write timeout) when the
  // socket buffer is full. The page cache feeds the socket directly; the song never passes through our memory.
  awaitable<bool> sendfile_all(int fd, std::uint64_t offset, std::size_t length) {
    auto& socket = stream_.socket();
    beast::error_code ec;
    socket.non_blocking(true, ec);
    auto position = static_cast<off_t>(offset);
    while (length > 0) {
      const auto sent = ::sendfile(socket.native_handle(), fd, &position, length);
      if (sent > 0) {
        length -= static_cast<std::size_t>(sent);
        continue;
      }
      if (sent < 0 && (errno == EAGAIN || errno == EINTR)) {
        asio::steady_timer stall(stream_.get_executor(), state_.options.write_timeout);
        auto waited = co_await (socket.async_wait(tcp::socket::wait_write, use_tuple) || stall.async_wait(use_tuple));
        if (waited.index() == 1) stalled_ = true;
        if (waited.index() == 1 || std::get<0>(std::get<0>(waited))) {
          close_ = true;
          co_return false;
        }
        continue;
      }
      close_ = true;  // peer gone (EPIPE, ECONNRESET) or the file is shorter than promised
      co_return false;
    }
    co_return true;
  }

  template <class Message>
  void fill_header(Message& res, const header_list& headers, bool keep_alive) {
    res.set(bhttp::field::server, "serenade");
    for (const auto& [name, value] : headers) res.set(name, value);
    res.keep_alive(keep_alive);
  }

  template <class Message>
  awaitable<bool> write(Message& res) {
    stream_.expires_after(state_.options.write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, res, use_tuple);
    stream_.expires_never();
    if (ec) close_ = true;
    co_return !ec;
  }

  server::state& state_;
  beast::tcp_stream& stream_;
  request req_;
  bhttp::response<bhttp::empty_body> chunked_header_;
  bool started_ = false;
  bool close_ = false;
  bool stalled_ = false;
  unsigned status_ = 0;
  std::uint64_t bytes_ = 0;
};

request to_request(bhttp::request<bhttp::string_body>&& in, const std::string& remote) {
  request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  auto question = out.target.find('?');
  out.path = out.target.substr(0, question);
  if (question != std::string::npos) out.query = out.target.substr(question + 1);
  out.headers.reserve(16);
  for (const auto& field : in) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.keep_alive = in.keep_alive();
  out.body = std::move(in.body());
  out.remote_address = remote;
  return out;
}

// Answers a request that failed before routing; the connection is closed afterwards.
awaitable<void> write_early_error(beast::tcp_stream& stream, std::chrono::seconds timeout, unsigned status,
                                  std::string_view detail) {
  auto r = error_response(status, detail);
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::server, "serenade");
  for (const auto& [name, value] : r.headers) res.set(name, value);
  res.keep_alive(false);
  res.body() = std::move(r.body);
  res.prepare_payload();
  stream.expires_after(timeout);
  co_await bhttp::async_write(stream, res, use_tuple);
}

bool is_quiet_ending(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
         ec == beast::error::timeout || ec == asio::error::connection_reset || ec == asio::error::bad_descriptor ||
         ec == bhttp::error::partial_message;
}

awaitable<void> dispatch(server::state& s, beast_exchange& ex, std::string& route_label) {
  const auto& req = ex.req();
  auto found = s.routes.find(req.method, req.path);
  route_label = found.found ? found.pattern : "unmatched";
  if (!found.found) {
    if (!found.allow.empty()) {
      auto r = error_response(405, "Method not allowed");
      r.set("Allow", found.allow);
      co_await ex.respond(std::move(r));
    } else {
      co_await ex.respond(error_response(404, "Not found"));
    }
    co_return;
  }
  std::exception_ptr failure;
  try {
    co_await (*found.found)(ex, found.params);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    std::string what = "unknown";
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    SERENADE_LOG(error, "handler_failed", "route", route_label, "error", what);
  }
  if (!ex.response_started()) {
    co_await ex.respond(error_response(500, "Internal server error"));
  } else if (failure) {
    ex.abort();
  }
}

awaitable<void> run_session(std::shared_ptr<server::state> s, std::uint64_t id,
                            std::shared_ptr<connection_entry> entry, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  entry->stream = &stream;
  beast::error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored);
  std::string remote;
  if (auto endpoint = stream.socket().remote_endpoint(ignored); !ignored) remote = endpoint.address().to_string();

  beast::flat_buffer buffer;
  bool first = true;
  const auto& opts = s->options;
  while (!s->stopping) {
    entry->busy = false;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
    parser.body_limit(opts.max_body_bytes);
    stream.expires_after(first ? opts.header_timeout : opts.idle_timeout);
    auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
    entry->busy = true;
    first = false;
    const auto started = std::chrono::steady_clock::now();
    if (!ec) {
      stream.expires_after(opts.header_timeout);
      auto expect = parser.get()[bhttp::field::expect];
      if (!parser.is_done() && http::iequals(expect, "100-continue")) {
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
        std::tie(ec, n) = co_await bhttp::async_write(stream, go_on, use_tuple);
      }
      if (!ec && !parser.is_done()) std::tie(ec, n) = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
    }
    if (ec) {
      if (ec == bhttp::error::header_limit) {
        co_await write_early_error(stream, opts.write_timeout, 431, "Request header is too large");
      } else if (ec == bhttp::error::body_limit) {
        co_await write_early_error(stream, opts.write_timeout, 413, "Request body is too large");
      } else if (!is_quiet_ending(ec)) {
        co_await write_early_error(stream, opts.write_timeout, 400, "Malformed HTTP request");
      }
      break;
    }
    stream.expires_never();

    beast_exchange ex(*s, stream, to_request(parser.release(), remote));
    std::string route_label;
    co_await dispatch(*s, ex, route_label);
    if (s->observer) {
      s->observer({ex.req().method, route_label, ex.response_status(), ex.body_bytes_sent(),
                   std::chrono::steady_clock::now() - started});
    }
    if (ex.must_close()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.close();
  entry->stream = nullptr;
  s->unregister(id);
}

awaitable<void> refuse_over_limit(tcp::socket socket) {
  static constexpr std::string_view answer =
      "HTTP/1.1 503 Service Unavailable\r\nServer: serenade\r\nContent-Type: application/json\r\n"
      "Retry-After: 1\r\nConnection: close\r\nContent-Length: 46\r\n\r\n"
      "{\"detail\":\"Server is at its connection limit\"}";
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(5));
  co_await asio::async_write(stream, asio::buffer(answer), use_tuple);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

// A strand over the io_context's own executor type is small enough for any_io_executor's inline storage, so
// the executor copies every asynchronous operation makes (work tracking, handler binding) allocate nothing.
// A strand over the type-erased executor does not fit and costs a heap allocation per copy.
asio::any_io_executor connection_strand(const asio::any_io_executor& executor) {
  if (const auto* io = executor.target<asio::io_context::executor_type>()) return asio::make_strand(*io);
  return asio::make_strand(executor);
}

awaitable<void> accept_loop(std::shared_ptr<server::state> s) {
  for (;;) {
    auto strand = connection_strand(s->executor);
    auto [ec, socket] = co_await s->acceptor.async_accept(strand, use_tuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || s->stopping) co_return;
      SERENADE_LOG(warn, "accept_failed", "server", s->options.name, "error", ec.message());
      // Out of descriptors and similar: back off briefly instead of spinning.
      asio::steady_timer pause(s->executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    std::shared_ptr<connection_entry> entry;
    std::uint64_t id = 0;
    {
      std::lock_guard lock(s->mutex);
      if (s->connections.size() < s->options.max_connections) {
        id = ++s->next_id;
        entry = std::make_shared<connection_entry>();
        entry->strand = strand;
        s->connections.emplace(id, entry);
      }
    }
    if (!entry) {
      asio::co_spawn(strand, refuse_over_limit(std::move(socket)), asio::detached);
      continue;
    }
    asio::co_spawn(strand, run_session(s, id, entry, std::move(socket)), asio::detached);
  }
}

void close_connection(const std::shared_ptr<connection_entry>& entry, bool only_idle) {
  asio::post(entry->strand, [entry, only_idle] {
    if (entry->stream && (!only_idle || !entry->busy)) entry->stream->close();
  });
}

}  // namespace

server::server(asio::any_io_executor executor, server_options options, router routes)
    : state_(std::make_shared<state>(executor, std::move(options), std::move(routes))) {}

server::~server() {
  beast::error_code ignored;
  state_->acceptor.close(ignored);
}

void server::set_observer(request_observer observer) { state_->observer = std::move(observer); }

std::uint16_t server::start() {
  auto& s = *state_;
  auto address = asio::ip::make_address(s.options.host);
  tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.open(endpoint.protocol());
  s.acceptor.set_option(asio::socket_base::reuse_address(true));
  s.acceptor.bind(endpoint);
  s.acceptor.listen(asio::socket_base::max_listen_connections);
  const auto port = s.acceptor.local_endpoint().port();
  const std::string host = address.is_v6() ? "[" + s.options.host + "]" : s.options.host;
  SERENADE_LOG(info, "listening", "server", s.options.name, "url", "http://" + host + ":" + std::to_string(port));
  asio::co_spawn(s.executor, accept_loop(state_), asio::detached);
  return port;
}

void server::stop(std::chrono::seconds grace, std::function<void()> on_stopped) {
  auto s = state_;
  asio::post(s->executor, [s, grace, on_stopped = std::move(on_stopped)]() mutable {
    bool already_empty = false;
    {
      std::lock_guard lock(s->mutex);
      s->stopping = true;
      s->on_stopped = std::move(on_stopped);
      if (s->connections.empty()) {
        already_empty = true;
        on_stopped = std::exchange(s->on_stopped, nullptr);
      }
    }
    beast::error_code ignored;
    s->acceptor.close(ignored);
    if (already_empty) {
      if (on_stopped) on_stopped();
      return;
    }
    for (auto& entry : s->snapshot()) close_connection(entry, true);
    s->grace_timer.expires_after(grace);
    s->grace_timer.async_wait([s](beast::error_code ec) {
      if (ec) return;
      auto left = s->snapshot();
      SERENADE_LOG(info, "shutdown_grace_over", "server", s->options.name, "closing", left.size());
      for (auto& entry : left) close_connection(entry, false);
    });
  });
}

std::size_t server::active_connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections.size();
}

}  // namespace serenade::http
