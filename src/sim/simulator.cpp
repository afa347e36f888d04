#include "sim/simulator.hpp"

#include "core/blocking_pool.hpp"
#include "core/config.hpp"
#include "archive/mp3_frames.hpp"
#include "core/log.hpp"
#include "http/server.hpp"
#include "sim/song_synth.hpp"
#include "sim/timeline.hpp"
#include "sim/webhook_sender.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <fmt/chrono.h>
#include <openssl/rand.h>

#include <atomic>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace serenade::sim {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;
using http::error_response;
using http::json_response;
using steady = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

namespace {

struct task {
  std::string id;
  std::string prompt;
  json::array tags;
  bool streaming = true;
  std::string created_at;  // ISO 8601, as Sonauto reports it
  steady::time_point created;
  std::shared_ptr<const std::vector<std::uint8_t>> audio;
  std::string lyrics;
  std::atomic<int> open_streams{0};
  std::atomic<int> total_streams{0};
  std::atomic<std::uint64_t> cdn_requests{0};    // requests for this task's CDN file, whatever the answer
  std::atomic<std::uint64_t> bytes_streamed{0};  // audio bytes sent on all stream connections

  mutable std::mutex mutex;  // guards faults and drop_spent
  task_faults faults;
  bool drop_spent = false;  // the one-time drop (drop_every_time false) has cut a connection

  // Webhooks (see watch_task): set before the task is published, then only read.
  std::string webhook_url;                     // empty: the task was created without one
  std::shared_ptr<asio::steady_timer> wake;    // the watcher's timer, on the watcher's strand
  std::atomic<bool> faults_changed{false};     // the watcher must look again (set with poke)
  std::atomic<bool> stopped{false};            // the simulator stops: the watcher and its posts end
  std::atomic<std::uint64_t> webhooks_sent{0};    // POSTs that got an HTTP answer (any status)
  std::atomic<std::uint64_t> webhooks_failed{0};  // POSTs that got none (refused, timed out, bad URL)

  task_faults current_faults() const {
    std::lock_guard lock(mutex);
    return faults;
  }

  // Wakes the watcher (from any thread): the faults changed, or the simulator stops.
  void poke() {
    faults_changed = true;
    if (auto timer = wake) asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  }
};

steady::duration seconds_of(double seconds) {
  return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(seconds));
}

// What one stream connection does besides streaming: decided when it opens.
struct stream_plan {
  std::optional<std::uint64_t> cut_at;    // cut the connection once this many body bytes are sent
  std::optional<std::uint64_t> stall_at;  // pause once this many body bytes are sent
  double stall_seconds = 0;
};

// The answer for a CDN file, whichever listener serves it.
struct cdn_answer {
  unsigned status = 404;
  std::string detail = "Not found";
  std::string body;       // the file, when status is 200
  bool truncate = false;  // announce the whole file, send half, close
};

// Flips the 4-byte header of the middle frame: same length, but the walk of consecutive frames stops there.
void corrupt_middle(std::string& file) {
  const auto bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(file.data()), file.size());
  const auto offsets = archive::frame_offsets(bytes);
  std::size_t at = file.size() / 2;
  if (offsets.size() >= 3) at = offsets[offsets.size() / 2];
  for (std::size_t i = at; i < std::min(file.size(), at + 4); ++i) file[i] = static_cast<char>(~file[i]);
}

json::object faults_json(const task_faults& f) {
  json::object o;
  o["fail_at"] = f.fail_at ? json::value(*f.fail_at) : json::value(nullptr);
  o["stall_stream_answer"] = f.stall_stream_answer;
  o["drop_after_bytes"] = f.drop_after_bytes ? json::value(*f.drop_after_bytes) : json::value(nullptr);
  o["drop_every_time"] = f.drop_every_time;
  o["stall_seconds"] = f.stall_seconds;
  o["stall_at_bytes"] = f.stall_at_bytes;
  o["refuse_cdn"] = f.refuse_cdn;
  o["corrupt_cdn"] = f.corrupt_cdn;
  o["truncate_cdn"] = f.truncate_cdn;
  o["expire_immediately"] = f.expire_immediately;
  o["delete_cdn_after"] = f.delete_cdn_after;
  o["never_ready"] = f.never_ready;
  o["webhooks"] = webhook_mode_name(f.webhooks);
  o["webhook_delay"] = f.webhook_delay;
  return o;
}

timeline_settings timeline_for(const simulator_options& options, const task_faults& f) {
  timeline_settings s{options.song_seconds, options.speed,        options.ready_after,
                      options.first_audio,  options.finish_delay, options.expire_after};
  if (f.expire_immediately) s.expire_after = 0;
  s.never_ready = f.never_ready;
  s.cdn_lifetime = f.delete_cdn_after;
  return s;
}

double seconds_since(steady::time_point start) { return std::chrono::duration<double>(steady::now() - start).count(); }

// ------------------------------------------------------------------------------------------------- webhooks

struct webhook_post {
  std::string status;
  std::string body;
};

webhook_post webhook_for(const task& t, std::string_view status) {
  json::object body{{"task_id", t.id}, {"status", status}, {"alignment_status", nullptr}};
  webhook_post post;
  post.status = std::string(status);
  post.body = json::serialize(body);
  return post;
}

// Sends the posts one after the other (so a swapped pair arrives swapped), `delay` seconds from now.
asio::awaitable<void> deliver(std::shared_ptr<task> t, std::vector<webhook_post> posts, double delay,
                              std::chrono::milliseconds timeout) {
  if (delay > 0) {
    asio::steady_timer pause(co_await asio::this_coro::executor, seconds_of(delay));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  for (auto& post : posts) {
    if (t->stopped) co_return;
    std::string url = t->webhook_url;
    std::string body = post.body;
    const auto result = co_await post_webhook(std::move(url), std::move(body), timeout);
    if (result.delivered) {
      ++t->webhooks_sent;
      SERENADE_LOG(info, "sim_webhook_sent", "task", t->id, "status", post.status, "answer", result.status);
    } else {
      ++t->webhooks_failed;
      SERENADE_LOG(debug, "sim_webhook_failed", "task", t->id, "status", post.status, "error", result.error);
    }
  }
}

void dispatch(asio::any_io_executor executor, const simulator_options& options, const std::shared_ptr<task>& t,
              std::vector<webhook_post> posts, double delay) {
  if (posts.empty()) return;
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(seconds_of(options.webhook_timeout));
  asio::co_spawn(asio::make_strand(executor), deliver(t, std::move(posts), delay, timeout), asio::detached);
}

// One status change, sent as the task's webhook mode says. `held` is the reordered mode's post waiting for
// the next change; it goes out right after this change's post (whatever the mode is by now).
void announce(asio::any_io_executor executor, const simulator_options& options, const std::shared_ptr<task>& t,
              const task_faults& f, std::string_view status, std::optional<webhook_post>& held) {
  std::vector<webhook_post> posts;
  double delay = 0;
  auto post = webhook_for(*t, status);
  switch (f.webhooks) {
    case webhook_mode::none:
      break;
    case webhook_mode::normal:
      posts.push_back(std::move(post));
      break;
    case webhook_mode::duplicated:
      posts.push_back(post);
      posts.push_back(std::move(post));
      break;
    case webhook_mode::reordered:
      if (!held) {
        held = std::move(post);
        return;
      }
      posts.push_back(std::move(post));
      break;
    case webhook_mode::delayed:
      posts.push_back(std::move(post));
      delay = f.webhook_delay;
      break;
  }
  if (held) {
    posts.push_back(std::move(*held));
    held.reset();
  }
  dispatch(executor, options, t, std::move(posts), delay);
}

// Follows one task's status (the same pure timeline the status endpoint reads) and announces each change as
// it happens: it sleeps until the next change, or until a control call changes the task's faults (poke).
asio::awaitable<void> watch_task(asio::any_io_executor executor, simulator_options options, std::shared_ptr<task> t) {
  auto& timer = *t->wake;
  std::string last;           // the status last announced; empty before the first
  double announced_at = 0.0;  // the timeline instant of that status
  std::optional<webhook_post> held;
  while (!t->stopped) {
    t->faults_changed = false;
    const auto f = t->current_faults();
    const auto settings = timeline_for(options, f);
    const auto fail_at = f.fail_at ? std::optional<std::string_view>(*f.fail_at) : std::nullopt;
    const double elapsed = seconds_since(t->created);
    const auto announce_if_new = [&](std::string_view status) {
      if (status == last) return;
      last = std::string(status);
      SERENADE_LOG(debug, "sim_status_change", "task", t->id, "status", last, "elapsed_s", elapsed);
      announce(executor, options, t, f, status, held);
    };
    // Every change since the last one announced, in order, even when this wake-up comes late (a loaded
    // machine): a webhook receiver is owed each status, as Sonauto sends them, not only the newest.
    if (last.empty()) announce_if_new(moment_at(settings, 0, fail_at).status);
    for (int step = 0; step < 64; ++step) {  // a timeline has a handful of statuses; bounded all the same
      const auto change = next_change_after(settings, announced_at, fail_at);
      if (!change || *change > elapsed) break;
      announced_at = *change;
      announce_if_new(moment_at(settings, *change, fail_at).status);
    }
    announce_if_new(moment_at(settings, elapsed, fail_at).status);
    const auto next = next_change_after(settings, elapsed, fail_at);
    if (!next && held) {
      // Nothing more is due (the end, or a task that never becomes ready): the held post goes out now.
      std::vector<webhook_post> last_one;
      last_one.push_back(std::move(*held));
      held.reset();
      dispatch(executor, options, t, std::move(last_one), 0);
    }
    if (t->faults_changed || t->stopped) continue;
    if (next) {
      // Rounded up, so the status has changed when the timer fires. Capped against overflow of a huge wait.
      const auto wait = std::chrono::duration<double>(std::min(*next, 1e8));
      timer.expires_at(t->created + std::chrono::ceil<steady::duration>(wait));
    } else {
      timer.expires_after(std::chrono::hours(24 * 365));  // until a poke
    }
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

// A bare HTTP/1.1 listener for CDN files, on its own port, one request per connection. It exists for
// truncate_cdn: the HTTP layer frames every body it sends, while a truncated download must announce the
// whole file's Content-Length and then close the connection after half. song_paths of a task with
// truncate_cdn point here; any CDN file can be fetched here, with the same faults as on the main port.
struct raw_cdn {
  explicit raw_cdn(asio::any_io_executor ex) : executor(ex), acceptor(asio::make_strand(ex)) {}
  asio::any_io_executor executor;
  tcp::acceptor acceptor;
  std::function<cdn_answer(std::string_view)> lookup;  // set before the first accept, then only read
  std::atomic<bool> stopping{false};
};

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

asio::awaitable<void> serve_raw_cdn(const std::shared_ptr<raw_cdn>& cdn, tcp::socket& socket) {
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
    } else if (target.starts_with("/cdn/") && cdn->lookup) {
      answer = cdn->lookup(target.substr(5));
    }
    const auto out = render_cdn_answer(answer, method == "HEAD");
    co_await asio::async_write(socket, asio::buffer(out), asio::use_awaitable);
  } catch (const std::exception&) {
    // The client went away: nothing to tell it.
  }
}

asio::awaitable<void> raw_cdn_connection(std::shared_ptr<raw_cdn> cdn, tcp::socket socket) {
  asio::steady_timer deadline(socket.get_executor(), std::chrono::seconds(30));
  co_await (serve_raw_cdn(cdn, socket) || deadline.async_wait(asio::use_awaitable));
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

asio::awaitable<void> raw_cdn_accept_loop(std::shared_ptr<raw_cdn> cdn) {
  for (;;) {
    auto strand = asio::make_strand(cdn->executor);
    auto [ec, socket] = co_await cdn->acceptor.async_accept(strand, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || cdn->stopping) co_return;
      asio::steady_timer pause(cdn->acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    asio::co_spawn(strand, raw_cdn_connection(cdn, std::move(socket)), asio::detached);
  }
}

bool valid_refusal(std::uint64_t status) { return status == 0 || (status >= 400 && status <= 599); }

// Applies the fault keys present in a control body to `f`. Returns an error text for a key with a bad value
// (then `f` must be discarded). `drop_changed` tells whether drop_after_bytes was given.
std::optional<std::string> apply_fault_keys(const json::object& o, task_faults& f, bool& drop_changed) {
  const auto flag = [&](const char* key, bool& out) -> std::optional<std::string> {
    if (auto* v = o.if_contains(key)) {
      if (!v->is_bool()) return std::string(key) + " must be true or false";
      out = v->as_bool();
    }
    return std::nullopt;
  };
  const auto seconds = [&](const char* key, double& out) -> std::optional<std::string> {
    if (auto* v = o.if_contains(key)) {
      if (!v->is_number() || v->to_number<double>() < 0) return std::string(key) + " must be a number of seconds >= 0";
      out = v->to_number<double>();
    }
    return std::nullopt;
  };
  const auto count = [&](const json::value& v, std::uint64_t& out) {
    json::error_code ec;
    const auto n = v.is_number() ? v.to_number<std::uint64_t>(ec) : 0;
    if (!v.is_number() || ec) return false;
    out = n;
    return true;
  };
  if (auto* v = o.if_contains("fail_at")) {
    if (v->is_string()) {
      f.fail_at = std::string(v->as_string());
    } else if (v->is_null()) {
      f.fail_at.reset();
    } else {
      return "fail_at must be a status or null";
    }
  }
  if (auto* v = o.if_contains("drop_after_bytes")) {
    drop_changed = true;
    std::uint64_t n = 0;
    if (v->is_null()) {
      f.drop_after_bytes.reset();
    } else if (count(*v, n)) {
      f.drop_after_bytes = n;
    } else {
      return "drop_after_bytes must be an integer >= 0 or null";
    }
  }
  if (auto* v = o.if_contains("stall_at_bytes"); v && !count(*v, f.stall_at_bytes)) {
    return "stall_at_bytes must be an integer >= 0";
  }
  if (auto* v = o.if_contains("refuse_cdn")) {
    std::uint64_t n = 0;
    if (!count(*v, n) || !valid_refusal(n)) return "refuse_cdn must be an HTTP status 400-599, or 0 to serve the file";
    f.refuse_cdn = static_cast<unsigned>(n);
  }
  if (auto* v = o.if_contains("webhooks")) {
    const auto mode = v->is_string() ? parse_webhook_mode(v->as_string()) : std::nullopt;
    if (!mode) return "webhooks must be one of none, normal, duplicated, reordered, delayed";
    f.webhooks = *mode;
  }
  for (auto problem : {flag("drop_every_time", f.drop_every_time), flag("corrupt_cdn", f.corrupt_cdn),
                       flag("truncate_cdn", f.truncate_cdn), flag("expire_immediately", f.expire_immediately),
                       flag("never_ready", f.never_ready), seconds("stall_stream_answer", f.stall_stream_answer),
                       seconds("stall_seconds", f.stall_seconds), seconds("delete_cdn_after", f.delete_cdn_after),
                       seconds("webhook_delay", f.webhook_delay)}) {
    if (problem) return problem;
  }
  return std::nullopt;
}

std::string new_task_id() {
  std::array<unsigned char, 16> b{};
  RAND_bytes(b.data(), static_cast<int>(b.size()));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", b[i]);
  }
  return out;
}

std::string iso_now() {
  auto now = std::chrono::system_clock::now();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::floor<std::chrono::seconds>(now));
}

http::response schema_error(std::string_view message) {
  json::object item{{"loc", json::array{"body"}}, {"msg", message}, {"type", "value_error"}};
  json::object body{{"detail", json::array{item}}};
  return json_response(422, json::serialize(body));
}

// The answer of a simulated create refusal, in FastAPI's shapes.
http::response create_refusal(unsigned status) {
  switch (status) {
    case 401:
      return error_response(401, "Invalid API key");
    case 402:
      return error_response(402, "Insufficient credits");
    case 422:
      return schema_error("Value error, the request was refused (simulated)");
    case 429:
      return error_response(429, "Rate limit exceeded");
    case 500:
      return error_response(500, "Internal Server Error");
    default:
      return error_response(status, http::reason_phrase(status));
  }
}

std::string lyrics_for(std::string_view prompt) {
  std::string first_words(prompt.substr(0, std::min<std::size_t>(prompt.size(), 60)));
  return "[Verse 1]\nEvery story has a song, and this one is ours\n" + first_words +
         "\n\n[Chorus]\nYou are the melody I hum when the world goes quiet\n";
}

}  // namespace

std::string_view webhook_mode_name(webhook_mode mode) {
  switch (mode) {
    case webhook_mode::none:
      return "none";
    case webhook_mode::normal:
      return "normal";
    case webhook_mode::duplicated:
      return "duplicated";
    case webhook_mode::reordered:
      return "reordered";
    case webhook_mode::delayed:
      return "delayed";
  }
  return "normal";
}

std::optional<webhook_mode> parse_webhook_mode(std::string_view name) {
  for (auto mode : {webhook_mode::none, webhook_mode::normal, webhook_mode::duplicated, webhook_mode::reordered,
                    webhook_mode::delayed}) {
    if (webhook_mode_name(mode) == name) return mode;
  }
  return std::nullopt;
}

struct simulator::state {
  state(asio::any_io_executor ex, simulator_options opts) : executor(ex), options(std::move(opts)) {}

  asio::any_io_executor executor;
  simulator_options options;
  core::blocking_pool synth_pool{1};
  std::unique_ptr<http::server> server;
  std::string base_url;
  std::shared_ptr<raw_cdn> cdn;  // the bare listener for truncated CDN downloads
  std::string cdn_base_url;

  std::mutex mutex;
  std::string api_key;
  std::unordered_map<std::string, std::shared_ptr<task>> tasks;
  std::atomic<std::uint64_t> status_calls{0};
  std::atomic<std::uint64_t> creates{0};           // successful creates only
  std::atomic<std::uint64_t> create_refusals{0};   // creates answered by the refuse_create switch
  // The refuse_create switch (guarded by mutex): refuse with this status (0: off), for the next
  // refuse_create_left creates, or every one when refuse_create_times is 0.
  unsigned refuse_create = 0;
  std::uint64_t refuse_create_times = 0;
  std::uint64_t refuse_create_left = 0;

  moment now_for(const task& t) const {
    const auto f = t.current_faults();
    return moment_at(timeline_for(options, f), seconds_since(t.created),
                     f.fail_at ? std::optional<std::string_view>(*f.fail_at) : std::nullopt);
  }

  // The status this create must be refused with, if any (a limited refusal is used up by it).
  unsigned take_create_refusal() {
    std::lock_guard lock(mutex);
    if (refuse_create == 0) return 0;
    if (refuse_create_times == 0) return refuse_create;
    if (refuse_create_left == 0) return 0;
    --refuse_create_left;
    return refuse_create;
  }

  json::object stats_json() {
    json::object out{{"creates", creates.load()},
                     {"create_refusals", create_refusals.load()},
                     {"status_calls", status_calls.load()}};
    std::lock_guard lock(mutex);
    out["refuse_create"] = refuse_create;
    out["refuse_create_times"] = refuse_create_times;
    out["refuse_create_left"] = refuse_create_times == 0 ? json::value(nullptr) : json::value(refuse_create_left);
    return out;
  }

  void start_watcher(const std::shared_ptr<task>& t) {
    asio::co_spawn(t->wake->get_executor(), watch_task(executor, options, t), asio::detached);
  }

  std::shared_ptr<task> find(std::string_view id) {
    std::lock_guard lock(mutex);
    auto it = tasks.find(std::string(id));
    return it == tasks.end() ? nullptr : it->second;
  }

  std::optional<http::response> refuse_auth(const http::request& req) {
    auto header = req.header("Authorization");
    if (!header || !header->starts_with("Bearer sksonauto_")) return error_response(401, "Invalid API key format");
    std::lock_guard lock(mutex);
    if (!api_key.empty() && header->substr(7) != api_key) return error_response(401, "Invalid API key");
    return std::nullopt;
  }

  std::size_t bytes_generated(const task& t, const moment& m) const {
    const auto total = t.audio->size();
    if (m.audio_seconds >= options.song_seconds) return total;
    return static_cast<std::size_t>(static_cast<double>(total) * (m.audio_seconds / options.song_seconds));
  }

  asio::awaitable<void> create(http::exchange& ex) {
    if (auto refusal = refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
    if (const auto status = take_create_refusal()) {
      ++create_refusals;
      SERENADE_LOG(info, "sim_create_refused", "status", status);
      co_return co_await ex.respond(create_refusal(status));
    }
    json::error_code ec;
    auto body = json::parse(ex.req().body, ec);
    if (ec || !body.is_object()) co_return co_await ex.respond(schema_error("Body must be a JSON object"));
    const auto& o = body.as_object();
    const auto present = [&](const char* key) { return o.contains(key) && !o.at(key).is_null(); };
    const int given = present("prompt") + present("tags") + present("lyrics");
    if (given == 0) co_return co_await ex.respond(schema_error("Must provide at least one of prompt, tags or lyrics"));
    if (given == 3) co_return co_await ex.respond(schema_error("Cannot provide prompt, tags and lyrics all at once"));
    if (present("prompt") && !o.at("prompt").is_string()) co_return co_await ex.respond(schema_error("prompt must be a string"));
    const auto text = [&](const char* key, std::string_view fallback) -> std::string {
      if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
      return std::string(fallback);
    };
    const auto stream_format = text("stream_format", "ogg");
    const auto output_format = text("output_format", "ogg");
    bool streaming = false;
    if (auto* v = o.if_contains("enable_streaming"); v && v->is_bool()) streaming = v->as_bool();
    if (streaming && stream_format != "mp3") {
      co_return co_await ex.respond(schema_error("This simulator streams mp3 only"));
    }
    if (present("output_bit_rate") && output_format != "mp3" && output_format != "m4a") {
      co_return co_await ex.respond(schema_error("output_bit_rate is only valid for mp3 and m4a"));
    }
    if (present("webhook_url") && !o.at("webhook_url").is_string()) {
      co_return co_await ex.respond(schema_error("webhook_url must be a string"));
    }
    auto t = std::make_shared<task>();
    t->id = new_task_id();
    t->prompt = text("prompt", "");
    if (auto* v = o.if_contains("tags"); v && v->is_array()) t->tags = v->as_array();
    t->streaming = streaming;
    t->created_at = iso_now();
    t->lyrics = lyrics_for(t->prompt);
    t->faults = options.faults;
    t->webhook_url = text("webhook_url", "");
    if (!t->webhook_url.empty()) t->wake = std::make_shared<asio::steady_timer>(asio::make_strand(executor));
    t->audio = co_await synth_pool.run([&] {
      return std::make_shared<const std::vector<std::uint8_t>>(synthesize_song(t->id, options.song_seconds));
    });
    t->created = steady::now();
    {
      std::lock_guard lock(mutex);
      tasks.emplace(t->id, t);
    }
    ++creates;
    SERENADE_LOG(info, "sim_task_created", "task", t->id, "bytes", t->audio->size());
    if (t->wake) start_watcher(t);
    json::object answer{{"task_id", t->id}};
    co_await ex.respond(json_response(200, json::serialize(answer)));
  }

  asio::awaitable<void> status(http::exchange& ex, std::string_view id) {
    if (auto refusal = refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
    ++status_calls;
    auto t = find(id);
    if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
    co_await ex.respond(json_response(200, json::serialize(json::string(now_for(*t).status))));
  }

  asio::awaitable<void> result(http::exchange& ex, std::string_view id) {
    if (auto refusal = refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
    auto t = find(id);
    if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
    const auto m = now_for(*t);
    json::object out{{"id", t->id},         {"created_at", t->created_at}, {"status", m.status},
                     {"model_version", "v3-preview"}, {"prompt", t->prompt}, {"tags", t->tags},
                     {"alignment_status", nullptr}};
    // A truncated download needs the bare CDN listener (see raw_cdn); every other file is served here.
    const auto& cdn_base = t->current_faults().truncate_cdn ? cdn_base_url : base_url;
    out["song_paths"] = m.succeeded ? json::value(json::array{cdn_base + "/cdn/" + t->id + ".mp3"}) : nullptr;
    out["error_message"] = m.status == "FAILURE" ? json::value("The generation failed (simulated)") : nullptr;
    out["lyrics"] = m.status == "RECEIVED" ? json::value(nullptr) : json::value(t->lyrics);
    co_await ex.respond(json_response(200, json::serialize(out)));
  }

  asio::awaitable<void> stream(http::exchange& ex, std::string_view id) {
    if (auto refusal = refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
    auto t = find(id);
    if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
    const auto m = now_for(*t);
    if (m.expired || m.status == "FAILURE") co_return co_await ex.respond(error_response(404, "Not found"));
    if (!t->streaming || !m.stream_open) {
      co_return co_await ex.respond(error_response(400, "Track not ready for streaming"));
    }
    ++t->open_streams;
    ++t->total_streams;
    // The faults of this connection are fixed now; a later control call affects later connections.
    stream_plan plan;
    double stall_answer = 0;
    {
      std::lock_guard lock(t->mutex);
      const auto& f = t->faults;
      if (f.drop_after_bytes && (f.drop_every_time || !t->drop_spent)) {
        plan.cut_at = f.drop_after_bytes;
        t->drop_spent = true;
      }
      if (f.stall_seconds > 0) {
        plan.stall_at = f.stall_at_bytes;
        plan.stall_seconds = f.stall_seconds;
      }
      stall_answer = f.stall_stream_answer;
    }
    if (stall_answer > 0) {
      asio::steady_timer pause(co_await asio::this_coro::executor, seconds_of(stall_answer));
      co_await (pause.async_wait(asio::use_awaitable) || ex.wait_peer_closed());
    }
    http::header_list headers{{"Content-Type", "audio/mpeg"}, {"Cache-Control", "no-cache"}};
    co_await ex.start_chunked(200, std::move(headers));
    co_await (pump(ex, *t, std::move(plan)) || ex.wait_peer_closed());
    --t->open_streams;
  }

  // Replays everything generated so far, then sends new audio every tick until the song is complete.
  // Honours the connection's plan: a pause after plan.stall_at bytes, a cut after plan.cut_at bytes.
  asio::awaitable<void> pump(http::exchange& ex, task& t, stream_plan plan) {
    constexpr std::size_t piece = 16 * 1024;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const auto& audio = *t.audio;
    std::size_t sent = 0;
    for (;;) {
      const auto m = now_for(t);
      if (m.status == "FAILURE") {
        ex.abort();
        co_return;
      }
      const auto available = bytes_generated(t, m);
      bool stalled = false;
      for (;;) {
        if (plan.cut_at && sent >= *plan.cut_at) {
          SERENADE_LOG(info, "sim_stream_dropped", "task", t.id, "bytes", sent);
          ex.abort();
          co_return;
        }
        if (plan.stall_at && sent >= *plan.stall_at) {
          SERENADE_LOG(info, "sim_stream_stalled", "task", t.id, "bytes", sent, "seconds", plan.stall_seconds);
          plan.stall_at.reset();
          timer.expires_after(seconds_of(plan.stall_seconds));
          co_await timer.async_wait(asio::use_awaitable);
          stalled = true;  // generation went on meanwhile: look again before sending
          break;
        }
        if (sent >= available) break;
        std::uint64_t limit = available;
        if (plan.cut_at) limit = std::min(limit, *plan.cut_at);
        if (plan.stall_at) limit = std::min(limit, *plan.stall_at);
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(piece, limit - sent));
        if (!co_await ex.write_chunk({reinterpret_cast<const char*>(audio.data() + sent), n})) co_return;
        sent += n;
        t.bytes_streamed += n;
      }
      if (stalled) continue;
      if (sent == audio.size()) {
        co_await ex.finish_chunked();
        co_return;
      }
      timer.expires_after(seconds_of(options.tick));
      co_await timer.async_wait(asio::use_awaitable);
    }
  }

  // The CDN copy of a task: refused, missing (not yet there, failed, deleted), or the file (maybe corrupted).
  cdn_answer cdn_lookup(std::string_view file) {
    cdn_answer answer;
    if (!file.ends_with(".mp3")) return answer;
    auto t = find(file.substr(0, file.size() - 4));
    if (!t) return answer;
    ++t->cdn_requests;
    const auto f = t->current_faults();
    if (f.refuse_cdn != 0) {
      answer.status = f.refuse_cdn;
      answer.detail = std::string(http::reason_phrase(f.refuse_cdn)) + " (simulated CDN refusal)";
      return answer;
    }
    if (!now_for(*t).cdn_available) return answer;
    answer.status = 200;
    answer.body.assign(t->audio->begin(), t->audio->end());
    if (f.corrupt_cdn) corrupt_middle(answer.body);
    answer.truncate = f.truncate_cdn;
    return answer;
  }

  asio::awaitable<void> cdn_file(http::exchange& ex, std::string_view file) {
    auto answer = cdn_lookup(file);
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

  asio::awaitable<void> task_report(http::exchange& ex, std::string_view id) {
    auto t = find(id);
    if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
    json::object out{{"task_id", t->id},
                     {"status", now_for(*t).status},
                     {"stream_connections_open", t->open_streams.load()},
                     {"stream_connections_total", t->total_streams.load()},
                     {"cdn_requests", t->cdn_requests.load()},
                     {"bytes_streamed_total", t->bytes_streamed.load()},
                     {"audio_bytes", t->audio->size()},
                     {"webhook_url", t->webhook_url.empty() ? json::value(nullptr) : json::value(t->webhook_url)},
                     {"webhooks_sent", t->webhooks_sent.load()},
                     {"webhooks_failed", t->webhooks_failed.load()}};
    out["faults"] = faults_json(t->current_faults());
    co_await ex.respond(json_response(200, json::serialize(out)));
  }

  asio::awaitable<void> task_audio(http::exchange& ex, std::string_view id) {
    auto t = find(id);
    if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
    http::response r;
    r.body.assign(t->audio->begin(), t->audio->end());
    r.set("Content-Type", "audio/mpeg");
    co_await ex.respond(std::move(r));
  }

  // Test switches. {"api_key": "..."} replaces the accepted key. With {"task_id": "..."}, any of these keys
  // changes that task's faults (every task starts with the `serenade simulate` flags); absent keys stay:
  //   "fail_at": "GENERATING"      the task fails once it reaches that state (null: never)
  //   "stall_stream_answer": 5     stream requests wait 5 s before the status line
  //   "drop_after_bytes": 50000    a stream connection is cut (no final chunk, socket closed) after 50000 body
  //                                bytes; null switches it off. Setting it re-arms the one-time drop.
  //   "drop_every_time": true      cut every connection, not only the first one after drop_after_bytes is set
  //   "stall_seconds": 3           each stream connection sends nothing for 3 s (socket kept open), then goes on
  //   "stall_at_bytes": 20000      ...once it has sent 20000 body bytes (default 0: right after the header)
  //   "refuse_cdn": 403            the CDN file answers 403 with a JSON detail (400-599; 0 serves the file)
  //   "corrupt_cdn": true          the CDN file has a frame header in the middle flipped (same length)
  //   "truncate_cdn": true         the CDN file announces its full Content-Length and closes after half;
  //                                song_paths then point at the bare CDN listener (another port)
  //   "expire_immediately": true   the live stream answers 404 from SUCCESS on
  //   "delete_cdn_after": 2        the CDN file answers 404 from 2 s after SUCCESS on
  //   "never_ready": true          the task stays at GENERATING (time still counts from creation: switching it
  //                                off later jumps to wherever the task would be by then)
  //   "webhooks": "reordered"      how the task's webhooks go out: none, normal, duplicated, reordered, delayed
  //   "webhook_delay": 2           seconds each webhook is late in the delayed mode
  // Global keys (with or without task_id; creates have no task yet):
  //   "refuse_create": 429         POST /v1/generations/v3 answers 429 with a FastAPI-style detail, creates
  //                                nothing (400-599; 0 switches it off)
  //   "refuse_create_times": 1     ...for the next 1 create only (0: every one). Setting either key re-arms it.
  // A bad value answers 400 and changes nothing. The answer carries the stats and the task's faults.
  asio::awaitable<void> control(http::exchange& ex) {
    json::error_code ec;
    auto body = json::parse(ex.req().body, ec);
    if (ec || !body.is_object()) co_return co_await ex.respond(error_response(400, "Body must be a JSON object"));
    const auto& o = body.as_object();
    std::shared_ptr<task> t;
    task_faults changed;
    bool drop_changed = false;
    if (auto* id = o.if_contains("task_id"); id && id->is_string()) {
      t = find(id->as_string());
      if (!t) co_return co_await ex.respond(error_response(404, "Not found"));
      changed = t->current_faults();
      if (auto problem = apply_fault_keys(o, changed, drop_changed)) {
        co_return co_await ex.respond(error_response(400, *problem));
      }
    }
    std::optional<unsigned> refuse;
    std::optional<std::uint64_t> refuse_times;
    if (auto* v = o.if_contains("refuse_create")) {
      json::error_code number_ec;
      const auto n = v->is_number() ? v->to_number<std::uint64_t>(number_ec) : 0;
      if (!v->is_number() || number_ec || !valid_refusal(n)) {
        co_return co_await ex.respond(error_response(400, "refuse_create must be an HTTP status 400-599, or 0"));
      }
      refuse = static_cast<unsigned>(n);
    }
    if (auto* v = o.if_contains("refuse_create_times")) {
      json::error_code number_ec;
      const auto n = v->is_number() ? v->to_number<std::uint64_t>(number_ec) : 0;
      if (!v->is_number() || number_ec) {
        co_return co_await ex.respond(error_response(400, "refuse_create_times must be an integer >= 0"));
      }
      refuse_times = n;
    }
    {
      std::lock_guard lock(mutex);
      if (auto* key = o.if_contains("api_key"); key && key->is_string()) api_key = std::string(key->as_string());
      if (refuse) refuse_create = *refuse;
      if (refuse_times) refuse_create_times = *refuse_times;
      if (refuse || refuse_times) refuse_create_left = refuse_create_times;
    }
    auto out = stats_json();
    if (t) {
      {
        std::lock_guard lock(t->mutex);
        t->faults = changed;
        if (drop_changed) t->drop_spent = false;
      }
      t->poke();
      out["faults"] = faults_json(changed);
    }
    co_await ex.respond(json_response(200, json::serialize(out)));
  }

  asio::awaitable<void> task_list(http::exchange& ex) {
    json::array list;
    {
      std::lock_guard lock(mutex);
      for (const auto& [id, t] : tasks) list.push_back(json::object{{"task_id", id}, {"prompt", t->prompt}});
    }
    co_await ex.respond(json_response(200, json::serialize(list)));
  }

  asio::awaitable<void> stats(http::exchange& ex) {
    const auto out = stats_json();
    co_await ex.respond(json_response(200, json::serialize(out)));
  }

  http::router routes() {
    http::router r;
    r.add("POST", "/v1/generations/v3", [this](http::exchange& ex, const http::route_params&) { return create(ex); });
    r.add("GET", "/v1/generations/status/{task_id}",
          [this](http::exchange& ex, const http::route_params& p) { return status(ex, p.get("task_id")); });
    r.add("GET", "/v1/generations/{task_id}",
          [this](http::exchange& ex, const http::route_params& p) { return result(ex, p.get("task_id")); });
    r.add("GET", "/v1/credits/balance", [this](http::exchange& ex, const http::route_params&) -> asio::awaitable<void> {
      if (auto refusal = refuse_auth(ex.req())) co_return co_await ex.respond(std::move(*refusal));
      co_await ex.respond(json_response(200, R"({"num_credits":100000,"num_credits_payg":0})"));
    });
    r.add("GET", "/stream/{task_id}",
          [this](http::exchange& ex, const http::route_params& p) { return stream(ex, p.get("task_id")); });
    r.add("GET", "/cdn/{file}",
          [this](http::exchange& ex, const http::route_params& p) { return cdn_file(ex, p.get("file")); });
    r.add("GET", "/_sim/tasks", [this](http::exchange& ex, const http::route_params&) { return task_list(ex); });
    r.add("GET", "/_sim/tasks/{task_id}",
          [this](http::exchange& ex, const http::route_params& p) { return task_report(ex, p.get("task_id")); });
    r.add("GET", "/_sim/tasks/{task_id}/audio",
          [this](http::exchange& ex, const http::route_params& p) { return task_audio(ex, p.get("task_id")); });
    r.add("POST", "/_sim/control", [this](http::exchange& ex, const http::route_params&) { return control(ex); });
    r.add("GET", "/_sim/stats", [this](http::exchange& ex, const http::route_params&) { return stats(ex); });
    return r;
  }
};

void add_simulator_options(CLI::App& cmd, simulator_options& o) {
  cmd.add_option("--listen", o.listen, "Address to serve on, host:port (port 0: any free port)")->capture_default_str();
  cmd.add_option("--api-key", o.api_key, "The only API key accepted (default: any sksonauto_ key)")
      ->envname("SONAUTO_API_KEY");
  const auto seconds = [&](const char* flag, double& value, const char* help) {
    cmd.add_option(flag, value, help)->capture_default_str()->check(CLI::NonNegativeNumber);
  };
  seconds("--song-seconds", o.song_seconds, "Length of every song, seconds");
  seconds("--speed", o.speed, "Generation speed as a multiple of real time");
  seconds("--ready-after", o.ready_after, "Seconds from create to GENERATING_STREAMING_READY");
  seconds("--first-audio", o.first_audio, "Seconds of audio already generated when streaming becomes ready");
  seconds("--finish-delay", o.finish_delay, "Seconds from the last audio to SUCCESS");
  seconds("--expire-after", o.expire_after, "Seconds the live stream stays available after SUCCESS");
  seconds("--tick", o.tick, "Seconds between live stream chunks");

  // Fault switches: defaults for every new task; POST /_sim/control changes them per task.
  auto& f = o.faults;
  cmd.add_option_function<std::uint64_t>(
         "--drop-after-bytes", [&f](const std::uint64_t& n) { f.drop_after_bytes = n; },
         "Cut a task's first stream connection (every one with --drop-every-time) after N body bytes: "
         "no final chunk, socket closed. Each connection replays from byte 0")
      ->type_name("N");
  cmd.add_flag("--drop-every-time", f.drop_every_time,
               "With --drop-after-bytes: cut every stream connection, not only the first");
  seconds("--stall-seconds", f.stall_seconds,
          "Each stream connection sends nothing for this many seconds (connection kept open), then continues");
  cmd.add_option("--stall-at-bytes", f.stall_at_bytes,
                 "With --stall-seconds: the pause starts after this many body bytes (0: right after the header)")
      ->capture_default_str()
      ->type_name("N");
  cmd.add_option("--refuse-cdn", f.refuse_cdn,
                 "CDN file URLs answer this HTTP status (400-599, e.g. 403 or 500) with a JSON detail; 0 serves them")
      ->capture_default_str()
      ->type_name("STATUS")
      ->check([](const std::string& text) -> std::string {
        try {
          return valid_refusal(std::stoull(text)) ? "" : "must be an HTTP status 400-599, or 0";
        } catch (const std::exception&) {
          return "must be an HTTP status 400-599, or 0";
        }
      });
  cmd.add_flag("--corrupt-cdn", f.corrupt_cdn,
               "CDN files have a frame header in the middle flipped: same length, no longer consecutive MP3 frames");
  cmd.add_flag("--truncate-cdn", f.truncate_cdn,
               "CDN files announce their full Content-Length but the connection closes after half the body "
               "(song_paths then point at a second, bare CDN port)");
  cmd.add_flag("--expire-immediately", f.expire_immediately,
               "The live stream answers 404 as soon as the task reaches SUCCESS (as --expire-after 0)");
  seconds("--delete-cdn-after", f.delete_cdn_after,
          "Seconds after SUCCESS until the CDN file answers 404 (Sonauto deletes after 168 h)");
  cmd.add_flag("--never-ready", f.never_ready, "Tasks stay at GENERATING forever: no audio, no stream, no SUCCESS");
  cmd.add_option_function<std::string>(
         "--webhooks", [&f](const std::string& name) { f.webhooks = parse_webhook_mode(name).value_or(f.webhooks); },
         "How tasks created with a webhook_url are told of each status change (a POST of task_id, status, "
         "alignment_status): none, normal (default), duplicated (each sent twice), reordered (each held back and "
         "sent after the next one), delayed (each sent --webhook-delay seconds late)")
      ->check(CLI::IsMember({"none", "normal", "duplicated", "reordered", "delayed"}))
      ->type_name("MODE");
  seconds("--webhook-delay", f.webhook_delay, "Seconds each webhook is late with --webhooks delayed");
  seconds("--webhook-timeout", o.webhook_timeout, "Seconds a webhook POST may take before it is abandoned (no retry)");
  const auto refusal_check = [](const std::string& text) -> std::string {
    try {
      return valid_refusal(std::stoull(text)) ? "" : "must be an HTTP status 400-599, or 0";
    } catch (const std::exception&) {
      return "must be an HTTP status 400-599, or 0";
    }
  };
  cmd.add_option("--refuse-create", o.refuse_create,
                 "POST /v1/generations/v3 answers this status (401, 402, 422, 429, 500 ...) with a FastAPI-style "
                 "JSON detail and creates nothing; 0 creates")
      ->capture_default_str()
      ->type_name("STATUS")
      ->check(refusal_check);
  cmd.add_option("--refuse-create-times", o.refuse_create_times,
                 "With --refuse-create: refuse only the first N creates (0: every one)")
      ->capture_default_str()
      ->type_name("N");
  cmd.footer(
      "Test endpoints: GET /_sim/tasks, GET /_sim/tasks/{id} (status, stream_connections_open/_total,\n"
      "cdn_requests, bytes_streamed_total, webhook_url, webhooks_sent/_failed, faults),\n"
      "GET /_sim/tasks/{id}/audio, GET /_sim/stats.\n"
      "POST /_sim/control {\"api_key\": \"...\"} replaces the accepted key; with {\"task_id\": \"...\"} these keys\n"
      "change one task's faults (absent keys stay; a bad value answers 400):\n"
      "  fail_at (state or null), stall_stream_answer (s), drop_after_bytes (N or null; re-arms the\n"
      "  one-time drop), drop_every_time (bool), stall_seconds (s), stall_at_bytes (N), refuse_cdn (status,\n"
      "  0 = off), corrupt_cdn, truncate_cdn, expire_immediately, never_ready (bool), delete_cdn_after (s),\n"
      "  webhooks (none|normal|duplicated|reordered|delayed), webhook_delay (s).\n"
      "Global keys: refuse_create (status, 0 = off) and refuse_create_times (N, 0 = always); setting either\n"
      "re-arms the count. GET /_sim/stats counts creates and create_refusals.");
}

simulator::simulator(asio::any_io_executor executor, simulator_options options)
    : state_(std::make_shared<state>(executor, std::move(options))) {
  state_->api_key = state_->options.api_key;
  state_->refuse_create = state_->options.refuse_create;
  state_->refuse_create_times = state_->options.refuse_create_times;
  state_->refuse_create_left = state_->options.refuse_create_times;
}

simulator::~simulator() { stop(); }

std::uint16_t simulator::start() {
  auto& s = *state_;
  if (s.options.song_seconds <= 0 || s.options.song_seconds > 600) {
    throw std::invalid_argument("--song-seconds must be between 0 and 600");
  }
  if (s.options.speed <= 0) throw std::invalid_argument("--speed must be positive");
  if (s.options.tick <= 0) throw std::invalid_argument("--tick must be positive");
  if (!valid_refusal(s.options.faults.refuse_cdn)) {
    throw std::invalid_argument("--refuse-cdn must be an HTTP status 400-599, or 0");
  }
  if (!valid_refusal(s.options.refuse_create)) {
    throw std::invalid_argument("--refuse-create must be an HTTP status 400-599, or 0");
  }
  auto address = core::parse_listen_address(s.options.listen);
  if (!address) throw std::invalid_argument("--listen must be host:port, got '" + s.options.listen + "'");
  http::server_options server_opts;
  server_opts.host = address->host;
  server_opts.port = address->port;
  server_opts.name = "simulator";
  s.server = std::make_unique<http::server>(s.executor, server_opts, s.routes());
  const auto port = s.server->start();
  s.base_url = "http://" + address->host + ":" + std::to_string(port);

  auto cdn = std::make_shared<raw_cdn>(s.executor);
  std::weak_ptr<state> owner = state_;
  cdn->lookup = [owner](std::string_view file) {
    if (auto alive = owner.lock()) return alive->cdn_lookup(file);
    return cdn_answer{};
  };
  const tcp::endpoint endpoint(asio::ip::make_address(address->host), 0);
  cdn->acceptor.open(endpoint.protocol());
  cdn->acceptor.set_option(asio::socket_base::reuse_address(true));
  cdn->acceptor.bind(endpoint);
  cdn->acceptor.listen(asio::socket_base::max_listen_connections);
  s.cdn_base_url = "http://" + address->host + ":" + std::to_string(cdn->acceptor.local_endpoint().port());
  SERENADE_LOG(info, "sim_cdn_listening", "url", s.cdn_base_url);
  s.cdn = cdn;
  asio::co_spawn(cdn->acceptor.get_executor(), raw_cdn_accept_loop(cdn), asio::detached);
  return port;
}

void simulator::stop() {
  if (state_->server) state_->server->stop(std::chrono::seconds(0), [] {});
  {
    // Webhook watchers end; posts not yet sent are dropped.
    std::lock_guard lock(state_->mutex);
    for (auto& [id, t] : state_->tasks) {
      t->stopped = true;
      t->poke();
    }
  }
  if (auto cdn = state_->cdn) {
    cdn->stopping = true;
    asio::post(cdn->acceptor.get_executor(), [cdn] {
      boost::system::error_code ignored;
      cdn->acceptor.close(ignored);
    });
  }
}

}  // namespace serenade::sim
