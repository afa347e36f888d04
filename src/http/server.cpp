#include "http/server.hpp"

#include "core/keyed_slots.hpp"
#include "core/log.hpp"
#include "http/client_address.hpp"
#include "http/detail/request_parser.hpp"
#include "http/detail/socket_io.hpp"
#include "http/response_head.hpp"
#include "http/segment_plan.hpp"

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
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/intrusive/list.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace serenade::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

// What stop() and the limit need to reach a connection. io and busy are only touched on its strand; the idle
// list's hook under the server's mutex.
struct connection_entry : std::enable_shared_from_this<connection_entry>, boost::intrusive::list_base_hook<> {
  asio::any_io_executor strand;
  std::shared_ptr<detail::socket_io> io;  // set while the connection coroutine lives
  bool busy = false;                      // a request is being handled (not idle between requests)
  std::atomic<bool> make_room{false};     // chosen to close for a new connection: finish this answer and go
  core::keyed_slots::slot client_slot;    // this connection's share of its client's cap
};

}  // namespace

struct server::state {
  state(asio::any_io_executor ex, server_options opts, router r, std::vector<asio::any_io_executor> connection_ex)
      : executor(ex),
        connection_executors(std::move(connection_ex)),
        options(std::move(opts)),
        routes(std::move(r)),
        acceptor(ex),
        grace_timer(ex) {
    if (connection_executors.empty()) connection_executors.push_back(executor);
  }

  asio::any_io_executor executor;
  std::vector<asio::any_io_executor> connection_executors;
  std::size_t next_executor = 0;  // accept loop only
  server_options options;
  router routes;
  tcp::acceptor acceptor;
  asio::steady_timer grace_timer;
  request_observer observer;

  std::mutex mutex;
  std::unordered_map<std::uint64_t, std::shared_ptr<connection_entry>> connections;
  // Connections waiting for a request, the longest-waiting first: at the limit the first makes room.
  boost::intrusive::list<connection_entry> idle;
  core::keyed_slots per_client{options.max_connections_per_client};
  connection_counters own_counters;  // when the options bring none
  connection_counters& counters = options.counters ? *options.counters : own_counters;
  std::uint64_t next_id = 0;
  std::size_t connection_peak = 0;  // guarded by mutex
  std::atomic<bool> stopping{false};
  std::function<void()> on_stopped;  // guarded by mutex; called once

  std::vector<std::shared_ptr<connection_entry>> snapshot() {
    std::lock_guard lock(mutex);
    std::vector<std::shared_ptr<connection_entry>> out;
    out.reserve(connections.size());
    for (auto& [id, entry] : connections) out.push_back(entry);
    return out;
  }

  void now_idle(connection_entry& entry) {
    std::lock_guard lock(mutex);
    if (!entry.is_linked()) idle.push_back(entry);
  }

  void now_busy(connection_entry& entry) {
    std::lock_guard lock(mutex);
    if (entry.is_linked()) idle.erase(idle.iterator_to(entry));
  }

  void unregister(std::uint64_t id) {
    std::function<void()> done;
    {
      std::lock_guard lock(mutex);
      const auto it = connections.find(id);
      if (it != connections.end()) {
        if (it->second->is_linked()) idle.erase(idle.iterator_to(*it->second));
        it->second->client_slot.release();
        connections.erase(it);
      }
      if (stopping && connections.empty()) done = std::exchange(on_stopped, nullptr);
    }
    if (done) {
      grace_timer.cancel();
      done();
    }
  }
};

namespace {

using detail::io_result;

// Up to a page of the body is copied; more goes by sendfile, whose page references beat a copy.
constexpr std::uint64_t max_copied_lead_bytes = 4096;
// A head buffer that grew past this (a head and a long lead) is given back after its answer: a keep-alive
// connection keeps its buffers between requests, and an idle one should hold no more than a head needs.
constexpr std::size_t max_kept_head_capacity = 1024;

// Appends `length` bytes of the file from `offset` to `to`; false (and `to` as it was) when the file has fewer.
// Like sendfile, it reads the page cache on the I/O thread: finished songs are read often and stay there.
bool append_file_bytes(std::string& to, int fd, std::uint64_t offset, std::uint64_t length) {
  const auto before = to.size();
  to.resize(before + length);
  const auto got = ::pread(fd, to.data() + before, length, static_cast<off_t>(offset));
  if (got == static_cast<ssize_t>(length)) return true;
  to.resize(before);
  return false;
}

// One request's answer on a connection. The request, the response-head buffer and the socket belong to the
// connection and are reused by the next request; this object only holds what this answer did.
class connection_exchange final : public exchange {
 public:
  connection_exchange(server::state& s, connection_entry& entry, detail::socket_io& io, const request& req,
                      std::string& head)
      : state_(s), entry_(entry), io_(io), req_(req), head_(head) {}

  const request& req() const override { return req_; }
  bool response_started() const override { return started_; }
  unsigned response_status() const override { return status_; }
  std::uint64_t body_bytes_sent() const override { return bytes_; }
  bool must_close() const {
    return close_ || !req_.keep_alive || state_.stopping || entry_.make_room || !io_.can_serve_another_request();
  }

  awaitable<void> respond(response r) override {
    started_ = true;
    status_ = r.status;
    const bool keep_alive = !must_close();
    const bool head_only = req_.is_head();
    const bool body_allowed = status_allows_body(r.status);
    body_framing framing;
    framing.close = !keep_alive;
    if (head_only || body_allowed) framing.content_length = r.body.size();
    write_response_head(head_, r.status, r.headers, framing);
    const bool with_body = !head_only && body_allowed;
    const std::array<std::string_view, 2> pieces{head_, with_body ? std::string_view(r.body) : std::string_view()};
    if (co_await send(pieces) && with_body) bytes_ = r.body.size();
    if (!keep_alive) close_ = true;
  }

  awaitable<bool> respond_with_file(unsigned status, header_list headers, int fd, std::uint64_t offset,
                                    std::uint64_t length) override {
    started_ = true;
    status_ = status;
    body_framing framing;
    framing.content_length = length;
    framing.close = must_close();
    write_response_head(head_, status, headers, framing);
    const bool body_follows = !req_.is_head() && length > 0;
    const auto bound = state_.options.send_buffer_bytes;
    if (body_follows && bound != 0 && length > bound) io_.bound_send_buffer(bound);
    // The head and the body's odd bytes make the first segment, the rest whole segments (http/segment_plan.hpp).
    // A few odd bytes are read into the head's buffer: one sendmsg instead of a held-back head and a sendfile
    // of its own, which costs more than the copy (docs/performance.md, "Segments of a file answer").
    const auto lead = body_follows ? lead_body_bytes(head_.size(), length, io_.segment_size()) : 0;
    const bool lead_in_head = lead > 0 && lead <= max_copied_lead_bytes && append_file_bytes(head_, fd, offset, lead);
    const std::array<std::string_view, 1> pieces{head_};
    const bool head_sent = co_await send(pieces, lead > 0 && !lead_in_head);
    if (head_.capacity() > max_kept_head_capacity) std::string().swap(head_);
    if (!head_sent) co_return false;
    if (!body_follows) co_return true;
    const auto give_up = answer_deadline(length);
    if (lead > 0 && !lead_in_head && !co_await send_file(fd, offset, static_cast<std::size_t>(lead), give_up)) {
      co_return false;
    }
    if (lead < length && !co_await send_file(fd, offset + lead, static_cast<std::size_t>(length - lead), give_up)) {
      co_return false;
    }
    bytes_ += length;
    co_return true;
  }

  // Rare (downloads): the head and the prefix go in one write, the file after, without the segment plan.
  awaitable<bool> respond_with_prefixed_file(unsigned status, header_list headers, std::string_view prefix, int fd,
                                             std::uint64_t offset, std::uint64_t length) override {
    started_ = true;
    status_ = status;
    body_framing framing;
    framing.content_length = prefix.size() + length;
    framing.close = must_close();
    write_response_head(head_, status, headers, framing);
    const bool body_follows = !req_.is_head();
    const std::array<std::string_view, 2> pieces{head_, body_follows ? prefix : std::string_view()};
    const bool file_follows = body_follows && length > 0;
    const bool head_sent = co_await send(pieces, file_follows);
    if (head_.capacity() > max_kept_head_capacity) std::string().swap(head_);
    if (!head_sent) co_return false;
    if (!body_follows) co_return true;
    bytes_ += prefix.size();
    const auto give_up = answer_deadline(prefix.size() + length);
    if (file_follows && !co_await send_file(fd, offset, static_cast<std::size_t>(length), give_up)) co_return false;
    bytes_ += length;
    co_return true;
  }

  awaitable<void> start_chunked(unsigned status, header_list headers) override {
    started_ = true;
    status_ = status;
    body_framing framing;
    framing.chunked = true;
    framing.close = must_close();
    write_response_head(head_, status, headers, framing);
    const std::array<std::string_view, 1> pieces{head_};
    co_await send(pieces);
  }

  awaitable<bool> write_chunk(std::span<const char> data) override {
    if (close_ || req_.is_head()) co_return false;
    if (data.empty()) co_return true;  // an empty chunk would end the body
    const auto opening = chunk_opening(data.size());
    const std::array<std::string_view, 3> pieces{opening.text(), std::string_view(data.data(), data.size()), "\r\n"};
    if (!co_await send(pieces)) co_return false;
    chunk_open_ = false;
    bytes_ += data.size();
    co_return true;
  }

  awaitable<void> finish_chunked() override {
    if (close_ || req_.is_head()) co_return;
    const std::array<std::string_view, 2> pieces{chunk_open_ ? "\r\n" : "", "0\r\n\r\n"};
    co_await send(pieces);
  }

  // The chunk's closing CRLF is left for the next write (chunk_opening), so a file chunk costs one sendmsg and
  // one sendfile; MSG_MORE lets the kernel put the opening and the file's first bytes in one segment.
  awaitable<bool> send_file_chunk(int fd, std::uint64_t offset, std::size_t length) override {
    if (close_ || req_.is_head()) co_return false;
    if (length == 0) co_return true;
    const auto opening = chunk_opening(length);
    const std::array<std::string_view, 1> opening_piece{opening.text()};
    if (!co_await send(opening_piece, true)) co_return false;
    if (!co_await send_file(fd, offset, length)) co_return false;
    chunk_open_ = true;
    bytes_ += length;
    co_return true;
  }

  bool write_stalled() const override { return stalled_; }

  void abort() override {
    close_ = true;
    io_.close();
  }

  void watch_peer(std::function<void()> left) override { io_.watch_peer(std::move(left)); }
  void stop_watching_peer() override { io_.stop_watching_peer(); }
  bool peer_left() const override { return io_.peer_left(); }

 private:
  bool settle(io_result result) {
    if (result == io_result::ok) return true;
    if (result == io_result::timed_out) stalled_ = true;
    close_ = true;
    return false;
  }

  awaitable<bool> send(std::span<const std::string_view> pieces, bool more_follows = false) {
    const auto result = co_await io_.write_all(pieces, state_.options.write_timeout, more_follows);
    co_return settle(result);
  }

  awaitable<bool> send_file(int fd, std::uint64_t offset, std::size_t length,
                            detail::socket_io::clock::time_point give_up = detail::socket_io::clock::time_point::max()) {
    const auto result = co_await io_.send_file(fd, offset, length, state_.options.write_timeout, give_up);
    if (result == io_result::timed_out && detail::socket_io::clock::now() >= give_up) {
      ++state_.counters.file_answers_too_slow;
    }
    co_return settle(result);
  }

  // When a file answer of `length` bytes must be over: the write timeout's slack plus its length at the
  // minimum rate.
  detail::socket_io::clock::time_point answer_deadline(std::uint64_t length) const {
    const auto rate = state_.options.min_file_send_rate;
    if (rate == 0) return detail::socket_io::clock::time_point::max();
    return detail::socket_io::clock::now() + state_.options.write_timeout + std::chrono::seconds(length / rate);
  }

  // A chunk's size line, after the previous chunk's CRLF when that is still owed.
  struct chunk_line {
    std::array<char, 24> bytes{};
    std::size_t length = 0;
    std::string_view text() const { return {bytes.data(), length}; }
  };
  chunk_line chunk_opening(std::size_t size) const {
    chunk_line line;
    const auto written = std::snprintf(line.bytes.data(), line.bytes.size(), "%s%zx\r\n", chunk_open_ ? "\r\n" : "", size);
    line.length = static_cast<std::size_t>(written);
    return line;
  }

  server::state& state_;
  connection_entry& entry_;
  detail::socket_io& io_;
  const request& req_;
  std::string& head_;
  bool chunk_open_ = false;  // the last chunk's closing CRLF is not sent yet
  bool started_ = false;
  bool close_ = false;
  bool stalled_ = false;
  unsigned status_ = 0;
  std::uint64_t bytes_ = 0;
};

// Answers a request that failed before routing; the connection is closed afterwards.
awaitable<void> write_early_error(detail::socket_io& io, std::string& head, std::chrono::seconds timeout,
                                  unsigned status, std::string_view detail) {
  const auto r = error_response(status, detail);
  body_framing framing;
  framing.content_length = r.body.size();
  framing.close = true;
  write_response_head(head, status, r.headers, framing);
  const std::array<std::string_view, 2> pieces{head, r.body};
  co_await io.write_all(pieces, timeout);
}

enum class read_outcome { complete, ended, header_too_large, body_too_large, malformed };

read_outcome parse_failure(const beast::error_code& ec) {
  if (ec == bhttp::error::header_limit) return read_outcome::header_too_large;
  if (ec == bhttp::error::body_limit) return read_outcome::body_too_large;
  return read_outcome::malformed;
}

// Reads one request into the parser's `req`. Bytes of a following (pipelined) request stay in `buffer`.
// `first_wait` bounds the wait for the whole header (the idle timeout on a kept-alive connection); the body, and
// a 100 Continue for it, must then come within the header timeout.
awaitable<read_outcome> read_request(detail::socket_io& io, beast::flat_buffer& buffer, detail::request_parser& parser,
                                     const request& req, const server_options& opts, std::chrono::seconds first_wait) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + first_wait;
  bool header_seen = false;
  for (;;) {
    if (buffer.size() != 0) {
      beast::error_code ec;
      const auto used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec && ec != bhttp::error::need_more) co_return parse_failure(ec);
      if (parser.is_done()) co_return read_outcome::complete;
      if (!ec && used != 0 && buffer.size() != 0) continue;
    }
    if (parser.is_header_done() && !header_seen) {
      header_seen = true;
      deadline = clock::now() + opts.header_timeout;
      if (http::iequals(req.header("Expect").value_or(""), "100-continue")) {
        const std::array<std::string_view, 1> go_on{"HTTP/1.1 100 Continue\r\n\r\n"};
        if (co_await io.write_all(go_on, opts.write_timeout) != io_result::ok) co_return read_outcome::ended;
      }
    }
    if (co_await io.read_some(buffer, deadline) != io_result::ok) co_return read_outcome::ended;
  }
}

awaitable<void> dispatch(server::state& s, connection_exchange& ex, std::string_view& route_label) {
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
    // Named before the co_await: GCC 12 destroys a conditional's temporary twice there (GCC bug 100611).
    std::optional<response> answer;
    if (failure && s.options.answer_for_failure) answer = s.options.answer_for_failure(failure);
    if (!answer) answer = error_response(500, "Internal server error");
    co_await ex.respond(std::move(*answer));
  } else if (failure) {
    ex.abort();
  }
}

awaitable<void> run_session(std::shared_ptr<server::state> s, std::uint64_t id,
                            std::shared_ptr<connection_entry> entry, tcp::socket socket, std::string remote_address) {
  auto io = std::make_shared<detail::socket_io>(std::move(socket));
  entry->io = io;
  beast::error_code ignored;
  io->socket().set_option(tcp::no_delay(true), ignored);
  const auto& opts = s->options;
  if (opts.unsent_limit_bytes != 0) io->limit_unsent(opts.unsent_limit_bytes);
  // Kept from one request to the next, so a keep-alive client's requests reuse their memory.
  request req;
  req.remote_address = std::move(remote_address);
  std::string head;
  // Bounded: the parser refuses a header or body over its limit before the buffer could hold more than this.
  beast::flat_buffer buffer(opts.max_header_bytes + opts.max_body_bytes + 64 * 1024);

  bool first = true;
  while (!s->stopping && !entry->make_room) {
    entry->busy = false;
    s->now_idle(*entry);
    detail::request_parser parser(req, static_cast<std::uint32_t>(opts.max_header_bytes), opts.max_body_bytes);
    const auto first_wait = first ? opts.header_timeout : opts.idle_timeout;
    const auto outcome = co_await read_request(*io, buffer, parser, req, opts, first_wait);
    entry->busy = true;
    s->now_busy(*entry);
    first = false;
    const auto started = std::chrono::steady_clock::now();
    if (outcome != read_outcome::complete) {
      if (outcome == read_outcome::header_too_large) {
        co_await write_early_error(*io, head, opts.write_timeout, 431, "Request header is too large");
      } else if (outcome == read_outcome::body_too_large) {
        co_await write_early_error(*io, head, opts.write_timeout, 413, "Request body is too large");
      } else if (outcome == read_outcome::malformed) {
        co_await write_early_error(*io, head, opts.write_timeout, 400, "Malformed HTTP request");
      }
      break;
    }

    connection_exchange ex(*s, *entry, *io, req, head);
    std::string_view route_label;
    co_await dispatch(*s, ex, route_label);
    if (s->observer) {
      s->observer({ex.req().method, route_label, ex.response_status(), ex.body_bytes_sent(),
                   std::chrono::steady_clock::now() - started});
    }
    // A stopped peer watch's read is cancelled, not yet completed: it took no byte once it reports so.
    if (io->peer_watch_unsettled()) co_await io->settle_peer_watch();
    if (ex.must_close()) break;
  }
  io->socket().shutdown(tcp::socket::shutdown_send, ignored);
  io->close();
  entry->io.reset();
  s->unregister(id);
}

// A connection refused at once: its answer, then close. The request is never read.
awaitable<void> refuse_connection(tcp::socket socket, unsigned status, std::string_view detail,
                                  std::string_view retry_after) {
  auto r = error_response(status, detail);
  r.set("Retry-After", std::string(retry_after));
  body_framing framing;
  framing.content_length = r.body.size();
  framing.close = true;
  std::string answer;
  write_response_head(answer, status, r.headers, framing);
  answer += r.body;
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

void close_connection(const std::shared_ptr<connection_entry>& entry, bool only_idle) {
  asio::post(entry->strand, [entry, only_idle] {
    if (entry->io && (!only_idle || !entry->busy)) entry->io->close();
  });
}

awaitable<void> accept_loop(std::shared_ptr<server::state> s) {
  std::uint64_t failures_in_burst = 0;  // one line when a burst of failures starts, one when it ends
  for (;;) {
    auto strand = connection_strand(s->connection_executors[s->next_executor++ % s->connection_executors.size()]);
    auto [ec, socket] = co_await s->acceptor.async_accept(strand, use_tuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || s->stopping) co_return;
      if (failures_in_burst++ == 0) {
        SERENADE_LOG(warn, "accept_failed", "server", s->options.name, "error", ec.message());
      }
      // Out of descriptors and similar: back off briefly instead of spinning.
      asio::steady_timer pause(s->executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    if (failures_in_burst > 0) {
      SERENADE_LOG(warn, "accept_recovered", "server", s->options.name, "failures", failures_in_burst);
      failures_in_burst = 0;
    }
    beast::error_code no_endpoint;
    const auto endpoint = socket.remote_endpoint(no_endpoint);
    std::string remote_address = no_endpoint ? std::string() : endpoint.address().to_string();
    // A client at its cap is refused before it could push anybody else's idle connection out.
    core::keyed_slots::slot client_slot;
    if (!s->options.connections_come_through_proxy) {
      auto taken = s->per_client.try_take(client_group(remote_address));
      if (!taken) {
        ++s->counters.refused_client_at_cap;
        asio::co_spawn(strand, refuse_connection(std::move(socket), 429, "Too many connections from your address", "5"),
                       asio::detached);
        continue;
      }
      client_slot = std::move(*taken);
    }
    std::shared_ptr<connection_entry> entry;
    std::shared_ptr<connection_entry> making_room;
    std::uint64_t id = 0;
    {
      std::lock_guard lock(s->mutex);
      if (s->connections.size() >= s->options.max_connections && !s->idle.empty()) {
        // The connection idle longest closes for the new one (it holds nobody's answer). Until it has closed
        // the count is one over the limit; each such step needs another idle connection, so it stays bounded.
        making_room = s->idle.front().shared_from_this();
        s->idle.pop_front();
        making_room->make_room = true;
      }
      if (s->connections.size() < s->options.max_connections || making_room) {
        id = ++s->next_id;
        entry = std::make_shared<connection_entry>();
        entry->strand = strand;
        entry->client_slot = std::move(client_slot);
        s->connections.emplace(id, entry);
        s->connection_peak = std::max(s->connection_peak, s->connections.size());
      }
    }
    if (making_room) {
      ++s->counters.idle_closed_for_room;
      close_connection(making_room, true);
    }
    if (!entry) {
      ++s->counters.refused_at_limit;
      asio::co_spawn(strand, refuse_connection(std::move(socket), 503, "Server is at its connection limit", "1"),
                     asio::detached);
      continue;
    }
    asio::co_spawn(strand, run_session(s, id, entry, std::move(socket), std::move(remote_address)), asio::detached);
  }
}

}  // namespace

server::server(asio::any_io_executor executor, server_options options, router routes,
               std::vector<asio::any_io_executor> connection_executors)
    : state_(std::make_shared<state>(executor, std::move(options), std::move(routes), std::move(connection_executors))) {}

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

std::size_t server::take_connection_peak() {
  std::lock_guard lock(state_->mutex);
  return std::exchange(state_->connection_peak, state_->connections.size());
}

}  // namespace serenade::http
