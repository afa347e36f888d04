#include "sim/cdn.hpp"

#include "core/log.hpp"
#include "http/exchange.hpp"
#include "http/router.hpp"
#include "sim/context.hpp"
#include "sim/song_synth.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <array>
#include <atomic>
#include <span>

namespace serenade::sim {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using http::error_response;
using tcp = asio::ip::tcp;

// Where the frames begin: after the ID3v2 tag of a final file in its own encode (a syncsafe size, 10 header bytes).
std::size_t first_frame_at(std::span<const std::uint8_t> file) {
  if (file.size() < 10 || file[0] != 'I' || file[1] != 'D' || file[2] != '3') return 0;
  const std::size_t body = (std::size_t{file[6]} << 21) | (std::size_t{file[7]} << 14) |
                           (std::size_t{file[8]} << 7) | std::size_t{file[9]};
  return std::min(file.size(), 10 + body);
}

void corrupt_middle(std::string& file) {
  const auto bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(file.data()), file.size());
  const auto start = first_frame_at(bytes);
  const auto offsets = synth_frame_offsets(bytes.subspan(start));
  std::size_t at = file.size() / 2;
  if (offsets.size() >= 3) at = start + offsets[offsets.size() / 2];
  for (std::size_t i = at; i < std::min(file.size(), at + 4); ++i) file[i] = static_cast<char>(~file[i]);
}

cdn_answer cdn_lookup(context& ctx, std::string_view file) {
  cdn_answer answer;
  if (!file.ends_with(".mp3")) return answer;
  auto t = ctx.tasks.find(file.substr(0, file.size() - 4));
  if (!t) return answer;
  ++t->cdn_requests;
  const auto f = t->current_faults();
  if (f.refuse_cdn != 0) {
    answer.status = f.refuse_cdn;
    answer.detail = std::string(http::reason_phrase(f.refuse_cdn)) + " (simulated CDN refusal)";
    return answer;
  }
  if (!moment_now(ctx.options, *t).cdn_available) return answer;
  answer.status = 200;
  const auto song = t->cdn_file();
  answer.body.assign(song->begin(), song->end());
  if (f.corrupt_cdn) corrupt_middle(answer.body);
  answer.truncate = f.truncate_cdn;
  return answer;
}

namespace {

asio::awaitable<void> cdn_file(context& ctx, http::exchange& ex, const http::route_params& p) {
  auto answer = cdn_lookup(ctx, p.get("file"));
  if (answer.status != 200) co_return co_await ex.respond(error_response(answer.status, answer.detail));
  if (answer.truncate && !ex.req().is_head()) {
    // song_paths send such downloads to the bare listener, which can announce the full Content-Length.
    // Here the HTTP layer frames every body, so the cut is a chunked body ended without its final chunk.
    http::header_list headers{{"Content-Type", "audio/mpeg"}};
    co_await ex.start_chunked(200, std::move(headers));
    co_await ex.write_chunk({answer.body.data(), answer.body.size() / 2});
    ex.abort();
    co_return;
  }
  http::response r;
  r.body = std::move(answer.body);
  r.set("Content-Type", "audio/mpeg");
  co_await ex.respond(std::move(r));
}

std::string render_cdn_answer(cdn_answer& answer, bool head) {
  http::response r;
  if (answer.status == 200) {
    r.set("Content-Type", "audio/mpeg");
    r.body = std::move(answer.body);
  } else {
    r = error_response(answer.status, answer.detail);
  }
  std::string out = fmt::format("HTTP/1.1 {} {}\r\nServer: serenade\r\n", r.status, http::reason_phrase(r.status));
  for (const auto& [name, value] : r.headers) out += name + ": " + value + "\r\n";
  out += fmt::format("Content-Length: {}\r\nConnection: close\r\n\r\n", r.body.size());
  if (head) return out;
  if (answer.truncate) r.body.resize(r.body.size() / 2);
  return out + r.body;
}

}  // namespace

void add_cdn_route(http::router& r, context& ctx) { r.add("GET", "/cdn/{file}", http::with_context(ctx, cdn_file)); }

// ------------------------------------------------------------------------------------------ bare listener

namespace detail {

struct bare_cdn_state {
  bare_cdn_state(asio::any_io_executor ex, bare_cdn_listener::lookup find)
      : executor(ex), acceptor(asio::make_strand(ex)), find(std::move(find)) {}
  asio::any_io_executor executor;
  tcp::acceptor acceptor;
  bare_cdn_listener::lookup find;
  std::atomic<bool> stopping{false};
};

}  // namespace detail

namespace {

using listener_state = std::shared_ptr<detail::bare_cdn_state>;

// Reads one request head, answers it, done.
asio::awaitable<void> serve_bare(const bare_cdn_listener::lookup& find, tcp::socket& socket) {
  try {
    std::string head;
    std::array<char, 4096> chunk{};
    while (head.find("\r\n\r\n") == std::string::npos) {
      if (head.size() > 16 * 1024) co_return;
      const auto n = co_await socket.async_read_some(asio::buffer(chunk), asio::use_awaitable);
      head.append(chunk.data(), n);
    }
    // Request line: METHOD SP target SP version.
    const std::string_view line(head.data(), head.find("\r\n"));
    const auto space = line.find(' ');
    const auto method = line.substr(0, space);
    auto target = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    target = target.substr(0, target.find(' '));
    target = target.substr(0, target.find('?'));
    cdn_answer answer;
    if (method != "GET" && method != "HEAD") {
      answer.status = 405;
      answer.detail = "Method not allowed";
    } else if (target.starts_with("/cdn/") && find) {
      answer = find(target.substr(5));
    }
    const auto out = render_cdn_answer(answer, method == "HEAD");
    co_await asio::async_write(socket, asio::buffer(out), asio::use_awaitable);
  } catch (const std::exception&) {
    // The client went away: nothing to tell it.
  }
}

asio::awaitable<void> bare_connection(listener_state s, tcp::socket socket) {
  asio::steady_timer deadline(socket.get_executor(), std::chrono::seconds(30));
  co_await (serve_bare(s->find, socket) || deadline.async_wait(asio::use_awaitable));
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

asio::awaitable<void> bare_accept_loop(listener_state s) {
  for (;;) {
    auto strand = asio::make_strand(s->executor);
    auto [ec, socket] = co_await s->acceptor.async_accept(strand, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || s->stopping) co_return;
      // Out of descriptors or the like: let a connection close before trying again.
      asio::steady_timer pause(s->acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    asio::co_spawn(strand, bare_connection(s, std::move(socket)), asio::detached);
  }
}

}  // namespace

bare_cdn_listener::bare_cdn_listener(asio::any_io_executor executor, lookup find)
    : state_(std::make_shared<detail::bare_cdn_state>(std::move(executor), std::move(find))) {}

bare_cdn_listener::~bare_cdn_listener() { stop(); }

std::uint16_t bare_cdn_listener::start(const std::string& host) {
  auto& acceptor = state_->acceptor;
  const tcp::endpoint endpoint(asio::ip::make_address(host), 0);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(acceptor.get_executor(), bare_accept_loop(state_), asio::detached);
  return acceptor.local_endpoint().port();
}

void bare_cdn_listener::stop() {
  if (state_->stopping.exchange(true)) return;
  asio::post(state_->acceptor.get_executor(), [s = state_] {
    boost::system::error_code ignored;
    s->acceptor.close(ignored);
  });
}

}  // namespace serenade::sim
