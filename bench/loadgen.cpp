// serenade_loadgen: N concurrent HTTP listeners on loopback, written on Asio (see bench/README.md).
//
// Modes:
//   stream    each connection GETs --path and reads the body as fast as it can; again on the same
//             connection when a response ends, until the window closes (live pass-through, whole files)
//   realtime  each connection GETs --path once and reads at --rate bytes/s (after a --prebuffer burst), like
//             a browser's <audio>; a listener is *stalled* when its received body bytes fall more than
//             --stall-seconds of audio behind the playback position (rate x time since its first body byte),
//             or when it has no first byte --stall-seconds after it connected, or when its stream is cut;
//             with --reconnect-ms M a cut or refused listener asks again every M ms, as a player does after a
//             network error, and the JSON says when the first cut came and when the last of them heard audio again
//   range     keep-alive GETs of random --range-size ranges of a --file-size byte file
//   ttfb      one fresh connection per request: connect, GET, first body byte, close
//   hold      an abuser: each connection sends nothing and is held; when the server answers or closes it, it is
//             opened again at once, until the window ends (counts refusals by status, closes, and connections
//             held: open at the end for a second or more without an answer)
// --source A binds every connection to local address A; --source-prefix P binds connection i to P + (i % 250 + 1)
// (e.g. 127.0.1.), so that listeners come from many clients.
// Prints one JSON object: bytes, requests, bytes/s, requests/s, time to first byte p50/p99, stalled, errors.
#include "http_response.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <list>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using bench_response_t = serenade::bench::http_response;

namespace {

struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::vector<std::string> paths;
  std::string mode = "stream";
  int connections = 10;
  double duration = 5;        // seconds of the measurement window, after every connection was opened
  double max_ramp = 30;       // seconds allowed for opening the connections
  int connect_parallel = 256; // connects in flight per thread
  int threads = 1;
  double rate = 24000;        // bytes/s of a real-time listener (192 kbit/s)
  double prebuffer = 65536;   // bytes a real-time listener may read at once
  double stall_seconds = 2;
  std::uint64_t range_size = 65536;
  std::uint64_t file_size = 0;
  std::uint64_t max_body = 0;  // stream mode: close and reconnect once a response gave this many body bytes
  double reconnect_ms = 0;     // realtime mode: 0 ends a cut listener; otherwise its pause before asking again
  std::string headers;  // extra request header lines, each ending in CRLF
  std::string source;         // local address to connect from; empty: the kernel's choice
  std::string source_prefix;  // or one of 250 addresses: prefix + (index % 250 + 1)
};

double seconds_since(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct listener_state {
  clock_type::time_point connect_start{};
  clock_type::time_point first_byte{};
  clock_type::time_point headers{};
  std::uint64_t body = 0;
  bool connected = false;
  bool got_first = false;
  bool finished = false;  // response ended (complete or cut), no longer observed
  bool stalled = false;
  bool failed = false;
  bool cut = false;      // --reconnect-ms: cut or refused at least once
  bool resumed = false;  // and heard audio again afterwards
  clock_type::time_point cut_at{};
  clock_type::time_point resumed_at{};
  tcp::socket* socket = nullptr;
};

struct shared_state {
  options opt;
  tcp::endpoint endpoint;
  std::atomic<int> connected{0};
  std::atomic<int> connect_failures{0};
  std::atomic<bool> measuring{false};
  std::atomic<long long> window_end_ns{0};  // steady clock ns; 0 until every connection is opened
};

struct worker {
  shared_state& shared;
  asio::io_context io{1};
  std::vector<char> scratch = std::vector<char>(256 * 1024);
  std::list<listener_state> listeners;
  std::vector<double> ttfb_ms;
  std::uint64_t bytes = 0;
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::uint64_t completed = 0;
  std::uint64_t hold_attempts = 0, hold_refused_429 = 0, hold_refused_503 = 0, hold_closed = 0, hold_held = 0;
  int connecting = 0;
  bool stopping = false;
  std::mt19937_64 rng{std::random_device{}()};

  explicit worker(shared_state& s) : shared(s) {}

  bool window_over() const {
    auto end = shared.window_end_ns.load(std::memory_order_relaxed);
    return stopping || (end != 0 && clock_type::now().time_since_epoch().count() >= end);
  }

  std::string request_for(const std::string& path, std::string extra) {
    std::string r = "GET " + path + " HTTP/1.1\r\nHost: " + shared.opt.host + "\r\nUser-Agent: serenade-loadgen\r\n";
    r += shared.opt.headers;
    r += extra;
    r += "\r\n";
    return r;
  }

  // Reads what the socket has, up to `limit` bytes, into the scratch buffer and feeds the parser. Returns
  // false when the connection is over (EOF or error).
  bool drain(tcp::socket& socket, bench_response_t& response, listener_state& st, std::size_t limit,
             clock_type::time_point request_sent, bool& ended);

  asio::awaitable<bool> connect(tcp::socket& socket, int index = 0) {
    socket.open(tcp::v4());
    const auto& opt = shared.opt;
    if (!opt.source.empty() || !opt.source_prefix.empty()) {
      const auto local = !opt.source.empty() ? opt.source : opt.source_prefix + std::to_string(index % 250 + 1);
      boost::system::error_code bind_error;
      socket.bind(tcp::endpoint(asio::ip::make_address(local), 0), bind_error);
      if (bind_error) co_return false;
    }
    auto [ec] = co_await socket.async_connect(shared.endpoint, use_tuple);
    if (ec) co_return false;
    socket.set_option(tcp::no_delay(true));
    socket.non_blocking(true);
    co_return true;
  }

  asio::awaitable<bool> reconnect(tcp::socket& socket, listener_state& st, int index);
  asio::awaitable<void> run_listener(int index);
  asio::awaitable<void> run_ttfb(int index);
  asio::awaitable<void> run_hold(int index);
  asio::awaitable<void> sampler();
};

bool worker::drain(tcp::socket& socket, bench_response_t& response, listener_state& st, std::size_t limit,
                   clock_type::time_point request_sent, bool& ended) {
  ended = false;
  while (limit > 0) {
    boost::system::error_code ec;
    const auto want = std::min(limit, scratch.size());
    const auto n = socket.read_some(asio::buffer(scratch.data(), want), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return true;
    if (ec) {
      response.closed();
      ended = true;
      return false;
    }
    limit -= n;
    const auto body = response.feed(scratch.data(), n);
    if (body > 0) {
      if (!st.got_first) {
        st.got_first = true;
        st.first_byte = clock_type::now();
        if (ttfb_ms.size() < 2'000'000) ttfb_ms.push_back(seconds_since(request_sent, st.first_byte) * 1000.0);
      }
      st.body += body;
      bytes += body;
    }
    if (response.failed()) {
      ended = true;
      return false;
    }
    if (response.done()) {
      ended = true;
      return true;
    }
  }
  return true;
}

// A cut or refused real-time listener: closes its socket and connects again every --reconnect-ms until it
// succeeds or the window ends. Its first body byte on the new connection is when it hears audio again.
asio::awaitable<bool> worker::reconnect(tcp::socket& socket, listener_state& st, int index) {
  boost::system::error_code ignored;
  socket.close(ignored);
  if (!st.cut) {
    st.cut = true;
    st.cut_at = clock_type::now();
  }
  asio::steady_timer pause(io);
  while (!window_over()) {
    pause.expires_after(std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double, std::milli>(shared.opt.reconnect_ms)));
    co_await pause.async_wait(use_tuple);
    if (window_over()) break;
    st.connect_start = clock_type::now();
    if (co_await connect(socket, index)) co_return true;
    socket.close(ignored);
  }
  co_return false;
}

asio::awaitable<void> worker::run_listener(int index) {
  const auto& opt = shared.opt;
  auto& st = listeners.emplace_back();
  tcp::socket socket(io);
  st.socket = &socket;
  st.connect_start = clock_type::now();
  ++connecting;
  const bool ok = co_await connect(socket, index);
  --connecting;
  if (!ok) {
    ++shared.connect_failures;
    st.failed = true;
    st.finished = true;
    st.socket = nullptr;
    co_return;
  }
  st.connected = true;
  ++shared.connected;
  const auto& path = opt.paths[static_cast<std::size_t>(index) % opt.paths.size()];
  const bool realtime = opt.mode == "realtime";
  const bool ranged = opt.mode == "range";
  const bool reconnects = realtime && opt.reconnect_ms > 0;
  bench_response_t response;
  bool first_request = true;
  while (!window_over()) {
    std::string extra;
    if (ranged) {
      const auto last_start = opt.file_size > opt.range_size ? opt.file_size - opt.range_size : 0;
      const auto start = std::uniform_int_distribution<std::uint64_t>(0, last_start)(rng);
      extra = "Range: bytes=" + std::to_string(start) + "-" + std::to_string(start + opt.range_size - 1) + "\r\n";
    }
    const auto request = request_for(path, std::move(extra));
    const auto sent_at = first_request ? st.connect_start : clock_type::now();
    first_request = false;
    auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(request), use_tuple);
    if (wec) break;
    response.reset();
    st.got_first = false;
    st.body = 0;
    bool over = false;
    bool cut = false;     // this response was cut or refused
    bool closed = false;  // and its connection cannot carry another request
    while (!over) {
      std::size_t limit = SIZE_MAX;
      if (realtime && !st.got_first) limit = static_cast<std::size_t>(opt.prebuffer);
      if (realtime && st.got_first) {
        const double allowed = opt.prebuffer + opt.rate * seconds_since(st.first_byte, clock_type::now());
        if (static_cast<double>(st.body) >= allowed) {
          // Ahead of the playback position: come back when the next 4 KiB may be read.
          asio::steady_timer pause(io);
          pause.expires_after(std::chrono::duration_cast<clock_type::duration>(
              std::chrono::duration<double>(std::max(0.02, 4096.0 / opt.rate))));
          co_await pause.async_wait(use_tuple);
          if (window_over() || !socket.is_open()) break;
          continue;
        }
        limit = static_cast<std::size_t>(allowed - static_cast<double>(st.body)) + 1;
      }
      auto [ec] = co_await socket.async_wait(tcp::socket::wait_read, use_tuple);
      if (ec) {
        over = true;
        if (!window_over()) ++errors;
        st.finished = true;
        break;
      }
      bool ended = false;
      const bool alive = drain(socket, response, st, limit, sent_at, ended);
      if (st.cut && !st.resumed && st.got_first && response.status() < 300) {
        st.resumed = true;
        st.resumed_at = st.first_byte;
      }
      if (!ended && opt.max_body != 0 && st.body >= opt.max_body) {
        // Read far enough into a live song: hang up and start again from byte 0 on a new connection.
        ++requests;
        boost::system::error_code ignored;
        socket.close(ignored);
        if (window_over()) break;
        st.connect_start = clock_type::now();
        if (!co_await connect(socket, index)) {
          // The window's end closes every socket, a reconnect in flight too: that is not the server's error.
          if (!window_over()) ++errors;
          break;
        }
        first_request = true;
        over = true;
        break;
      }
      if (ended) {
        over = true;
        st.finished = true;
        if (response.done()) {
          ++requests;
          if (response.status() >= 400) {
            ++errors;
            if (realtime) st.failed = cut = true;
          } else if (realtime) {
            ++completed;
          }
        } else if (!window_over()) {
          ++errors;
          if (realtime) st.failed = cut = true;  // cut before the end: the listener hears silence
        }
        closed = !alive || response.must_close() || !response.done();
        break;
      }
      if (window_over()) break;
    }
    if (cut && reconnects && !window_over()) {
      if (!co_await reconnect(socket, st, index)) break;
      st.finished = false;
      first_request = true;
      continue;
    }
    if (closed) {
      st.socket = nullptr;
      co_return;
    }
    if (!over || realtime || !socket.is_open()) break;
    st.finished = false;
  }
  st.finished = true;
  st.socket = nullptr;
}

asio::awaitable<void> worker::run_ttfb(int index) {
  const auto& opt = shared.opt;
  const auto& path = opt.paths[static_cast<std::size_t>(index) % opt.paths.size()];
  auto& st = listeners.emplace_back();
  st.connected = true;
  ++shared.connected;
  const auto request = request_for(path, "Connection: close\r\n");
  while (!window_over()) {
    tcp::socket socket(io);
    st.socket = &socket;
    const auto started = clock_type::now();
    if (!co_await connect(socket)) {
      ++errors;
      st.socket = nullptr;
      continue;
    }
    auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(request), use_tuple);
    if (wec) {
      ++errors;
      st.socket = nullptr;
      continue;
    }
    bench_response_t response;
    st.got_first = false;
    while (!st.got_first) {
      auto [ec] = co_await socket.async_wait(tcp::socket::wait_read, use_tuple);
      if (ec) break;
      bool ended = false;
      drain(socket, response, st, 16384, started, ended);
      if (ended) break;
    }
    if (st.got_first) {
      ++requests;
      if (response.status() >= 400) ++errors;
    } else if (!window_over()) {
      ++errors;
    }
    boost::system::error_code ignored;
    socket.close(ignored);
    st.socket = nullptr;
  }
}

asio::awaitable<void> worker::run_hold(int index) {
  auto& st = listeners.emplace_back();
  bool counted = false;  // this connection slot is counted as connected once
  while (!window_over()) {
    tcp::socket socket(io);
    st.socket = &socket;
    ++hold_attempts;
    ++connecting;
    const bool ok = co_await connect(socket, index);
    --connecting;
    if (!counted) {
      counted = true;
      if (ok) ++shared.connected; else ++shared.connect_failures;
    }
    if (!ok) {
      ++errors;
      st.socket = nullptr;
      continue;
    }
    st.connected = true;
    const auto opened = clock_type::now();
    // Held until the server says something (a refusal) or closes it, or the window ends.
    auto [ec] = co_await socket.async_wait(tcp::socket::wait_read, use_tuple);
    if (ec || window_over()) {
      // Held: kept open for a second or more without an answer (a fresh one may still be refused).
      if (window_over() && seconds_since(opened, clock_type::now()) >= 1.0) ++hold_held;
      st.socket = nullptr;
      break;
    }
    bench_response_t response;
    bool ended = false;
    drain(socket, response, st, 16384, clock_type::now(), ended);
    const auto status = response.status();
    if (status == 429) ++hold_refused_429;
    else if (status == 503) ++hold_refused_503;
    else if (status == 0) ++hold_closed;
    else ++errors;
    boost::system::error_code ignored;
    socket.close(ignored);
    st.socket = nullptr;
  }
  st.finished = true;
}

// Every 50 ms: real-time stall checks; at the end of the window, closes every socket of this worker.
asio::awaitable<void> worker::sampler() {
  const auto& opt = shared.opt;
  asio::steady_timer tick(io);
  const double stall_bytes = opt.stall_seconds * opt.rate;
  for (;;) {
    tick.expires_after(50ms);
    co_await tick.async_wait(use_tuple);
    const auto now = clock_type::now();
    if (opt.mode == "realtime") {
      for (auto& st : listeners) {
        if (st.stalled) continue;
        if (st.failed) {
          st.stalled = true;
          continue;
        }
        if (st.finished) continue;
        if (!st.got_first) {
          if (seconds_since(st.connect_start, now) > opt.stall_seconds) st.stalled = true;
          continue;
        }
        const double playback = opt.rate * seconds_since(st.first_byte, now);
        if (playback - static_cast<double>(st.body) > stall_bytes) st.stalled = true;
      }
    }
    if (window_over() && connecting == 0) {
      stopping = true;
      for (auto& st : listeners) {
        if (st.socket) {
          boost::system::error_code ignored;
          st.socket->close(ignored);
        }
      }
      co_return;
    }
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(k, v.size() - 1)];
}

int usage(const char* error) {
  std::fprintf(stderr,
               "%s\nusage: serenade_loadgen --port P --path /x [--path /y ...] [--host 127.0.0.1]\n"
               "  [--mode stream|realtime|range|ttfb] [--connections N] [--duration S] [--max-ramp S]\n"
               "  [--threads T] [--rate B/s] [--prebuffer B] [--stall-seconds S] [--range-size B --file-size B]\n"
               "  [--header 'Name: value' ...] [--max-body B] [--source ADDR | --source-prefix A.B.C.]\n"
               "  [--reconnect-ms M]\n",
               error);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  shared_state shared;
  auto& opt = shared.opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--host") opt.host = next();
    else if (a == "--port") opt.port = static_cast<unsigned short>(std::stoi(next()));
    else if (a == "--path") opt.paths.push_back(next());
    else if (a == "--mode") opt.mode = next();
    else if (a == "--connections") opt.connections = std::stoi(next());
    else if (a == "--duration") opt.duration = std::stod(next());
    else if (a == "--max-ramp") opt.max_ramp = std::stod(next());
    else if (a == "--threads") opt.threads = std::max(1, std::stoi(next()));
    else if (a == "--rate") opt.rate = std::stod(next());
    else if (a == "--prebuffer") opt.prebuffer = std::stod(next());
    else if (a == "--stall-seconds") opt.stall_seconds = std::stod(next());
    else if (a == "--range-size") opt.range_size = std::stoull(next());
    else if (a == "--file-size") opt.file_size = std::stoull(next());
    else if (a == "--max-body") opt.max_body = std::stoull(next());
    else if (a == "--reconnect-ms") opt.reconnect_ms = std::stod(next());
    else if (a == "--header") opt.headers += next() + "\r\n";
    else if (a == "--connect-parallel") opt.connect_parallel = std::max(1, std::stoi(next()));
    else if (a == "--source") opt.source = next();
    else if (a == "--source-prefix") opt.source_prefix = next();
    else return usage(("unknown argument " + a).c_str());
  }
  if (opt.paths.empty()) return usage("--path is required");
  if (opt.mode != "stream" && opt.mode != "realtime" && opt.mode != "range" && opt.mode != "ttfb" &&
      opt.mode != "hold")
    return usage("unknown --mode");
  if (opt.mode == "range" && opt.file_size == 0) return usage("--mode range needs --file-size");
  shared.endpoint = tcp::endpoint(asio::ip::make_address(opt.host), opt.port);

  std::vector<std::unique_ptr<worker>> workers;
  for (int t = 0; t < opt.threads; ++t) workers.push_back(std::make_unique<worker>(shared));

  const auto started = clock_type::now();
  // Cut and resume times are printed as Unix milliseconds, comparable with the moment a script killed a server.
  const double started_unix_ms =
      std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto unix_ms = [&](clock_type::time_point t) {
    return started_unix_ms + std::chrono::duration<double, std::milli>(t - started).count();
  };
  // Opening connections: at most connect_parallel connects in flight per worker, bounded by max_ramp.
  std::vector<std::thread> threads;
  for (int t = 0; t < opt.threads; ++t) {
    threads.emplace_back([&, t] {
      auto& w = *workers[static_cast<std::size_t>(t)];
      asio::co_spawn(w.io, w.sampler(), asio::detached);
      auto opener = [&w, &opt, t]() -> asio::awaitable<void> {
        asio::steady_timer pause(w.io);
        for (int i = t; i < opt.connections; i += opt.threads) {
          while (w.connecting >= opt.connect_parallel && !w.window_over()) {
            pause.expires_after(1ms);
            co_await pause.async_wait(use_tuple);
          }
          if (w.window_over()) co_return;
          if (opt.mode == "ttfb") {
            asio::co_spawn(w.io, w.run_ttfb(i), asio::detached);
          } else if (opt.mode == "hold") {
            asio::co_spawn(w.io, w.run_hold(i), asio::detached);
          } else {
            asio::co_spawn(w.io, w.run_listener(i), asio::detached);
          }
        }
      };
      asio::co_spawn(w.io, opener(), asio::detached);
      w.io.run();
    });
  }
  // The window starts once every connection is open (or failed), or when max_ramp has passed.
  double ramp_seconds = 0;
  for (;;) {
    std::this_thread::sleep_for(5ms);
    const auto now = clock_type::now();
    const int settled = shared.connected.load() + shared.connect_failures.load();
    if (settled >= opt.connections || seconds_since(started, now) >= opt.max_ramp) {
      ramp_seconds = seconds_since(started, now);
      const auto end = now + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt.duration));
      shared.window_end_ns = end.time_since_epoch().count();
      break;
    }
  }
  for (auto& th : threads) th.join();
  const double total_seconds = seconds_since(started, clock_type::now());

  std::uint64_t bytes = 0, requests = 0, errors = 0, completed = 0, stalled = 0, failed = 0, no_first = 0;
  std::uint64_t attempts = 0, refused_429 = 0, refused_503 = 0, closed = 0, held = 0;
  std::uint64_t cut = 0, resumed = 0;
  double first_cut_unix_ms = 0, last_resume_unix_ms = 0, longest_silence_ms = 0;
  std::vector<double> ttfb;
  for (auto& w : workers) {
    bytes += w->bytes;
    requests += w->requests;
    errors += w->errors;
    completed += w->completed;
    attempts += w->hold_attempts;
    refused_429 += w->hold_refused_429;
    refused_503 += w->hold_refused_503;
    closed += w->hold_closed;
    held += w->hold_held;
    for (auto& st : w->listeners) {
      stalled += st.stalled;
      failed += st.failed;
      no_first += st.connected && !st.got_first && opt.mode != "ttfb" && opt.mode != "hold";
      if (st.cut) {
        ++cut;
        const double at = unix_ms(st.cut_at);
        if (first_cut_unix_ms == 0 || at < first_cut_unix_ms) first_cut_unix_ms = at;
      }
      if (st.resumed) {
        ++resumed;
        last_resume_unix_ms = std::max(last_resume_unix_ms, unix_ms(st.resumed_at));
        longest_silence_ms = std::max(longest_silence_ms, seconds_since(st.cut_at, st.resumed_at) * 1000.0);
      }
    }
    ttfb.insert(ttfb.end(), w->ttfb_ms.begin(), w->ttfb_ms.end());
  }
  const double p50 = percentile(ttfb, 0.50);
  const double p99 = percentile(ttfb, 0.99);
  std::printf(
      "{\"mode\":\"%s\",\"connections\":%d,\"connected\":%d,\"connect_failures\":%d,\"ramp_s\":%.3f,"
      "\"seconds\":%.3f,\"bytes\":%llu,\"requests\":%llu,\"errors\":%llu,\"bytes_per_s\":%.0f,"
      "\"requests_per_s\":%.1f,\"ttfb_samples\":%zu,\"ttfb_p50_ms\":%.3f,\"ttfb_p99_ms\":%.3f,"
      "\"stalled\":%llu,\"failed\":%llu,\"no_first_byte\":%llu,\"completed\":%llu,\"hold_attempts\":%llu,"
      "\"refused_429\":%llu,\"refused_503\":%llu,\"closed_by_server\":%llu,\"held\":%llu,\"cut\":%llu,"
      "\"resumed\":%llu,\"first_cut_unix_ms\":%.0f,\"last_resume_unix_ms\":%.0f,\"longest_silence_ms\":%.0f}\n",
      opt.mode.c_str(), opt.connections, shared.connected.load(), shared.connect_failures.load(), ramp_seconds,
      total_seconds, static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(requests),
      static_cast<unsigned long long>(errors), static_cast<double>(bytes) / total_seconds,
      static_cast<double>(requests) / total_seconds, ttfb.size(), p50, p99, static_cast<unsigned long long>(stalled),
      static_cast<unsigned long long>(failed), static_cast<unsigned long long>(no_first),
      static_cast<unsigned long long>(completed), static_cast<unsigned long long>(attempts),
      static_cast<unsigned long long>(refused_429), static_cast<unsigned long long>(refused_503),
      static_cast<unsigned long long>(closed), static_cast<unsigned long long>(held),
      static_cast<unsigned long long>(cut), static_cast<unsigned long long>(resumed), first_cut_unix_ms,
      last_resume_unix_ms, longest_silence_ms);
  return 0;
}
