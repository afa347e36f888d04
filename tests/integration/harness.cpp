#include "harness.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace serenade::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {
std::mutex transcript_mutex;
std::vector<std::string> transcript_lines;

void record(const std::string& text) {
  std::lock_guard lock(transcript_mutex);
  transcript_lines.push_back(text);
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

void set_socket_timeout(tcp::socket& socket, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<long>(timeout.count() / 1000);
  tv.tv_usec = static_cast<long>((timeout.count() % 1000) * 1000);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

tcp::socket connect_loopback(asio::io_context& io, std::uint16_t port, std::chrono::milliseconds timeout) {
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  set_socket_timeout(socket, timeout);
  return socket;
}

bhttp::request<bhttp::string_body> make_request(std::uint16_t port, const std::string& method,
                                                const std::string& target, const header_pairs& headers,
                                                const std::string& body) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty() || method == "POST") {
    req.body() = body;
    req.prepare_payload();
  }
  return req;
}

template <class Parser>
void fill_reply(http_reply& reply, Parser& parser) {
  const auto& res = parser.get();
  reply.status = res.result_int();
  std::ostringstream raw;
  for (const auto& field : res) {
    reply.headers[lower(std::string(field.name_string()))] = std::string(field.value());
    raw << field.name_string() << ": " << field.value() << "\n";
  }
  record(raw.str());
}
}  // namespace

std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string make_temp_dir() {
  std::string pattern = "/tmp/serenade-test-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

const std::vector<std::string>& transcript() { return transcript_lines; }

void wait_until(const std::function<bool()>& done, const std::function<std::string()>& explain,
                std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error(explain());
    std::this_thread::sleep_for(20ms);
  }
}

std::optional<std::uint64_t> metric_value(const std::string& page, const std::string& series) {
  std::istringstream lines(page);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return std::stoull(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------- process

process::process(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env,
                 std::string log_path)
    : log_path_(std::move(log_path)) {
  std::vector<std::string> environment;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    bool overridden = entry.starts_with("SONAUTO_") || entry.starts_with("SERENADE_") ||
                      entry.starts_with("DATABASE_URL=");
    if (!overridden) environment.emplace_back(entry);
  }
  for (const auto& [name, value] : env) environment.push_back(name + "=" + value);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);

  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log_path_);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(log_fd);
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

process::~process() {
  if (running()) kill_now();
}

bool process::running() {
  if (exit_code_ || pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

void process::kill_now() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  exit_code_ = 128 + SIGKILL;
}

std::optional<int> process::terminate(std::chrono::milliseconds timeout) {
  if (!running()) return exit_code_;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return exit_code_;
    std::this_thread::sleep_for(10ms);
  }
  return std::nullopt;
}

std::string process::log() const {
  std::ifstream in(log_path_);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string process::wait_for_line(const std::vector<std::string>& fragments, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::istringstream lines(log());
    for (std::string line; std::getline(lines, line);) {
      bool all = true;
      for (const auto& f : fragments) all = all && line.find(f) != std::string::npos;
      if (all) return line;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("log line not seen in time; log was:\n" + log());
    }
    std::this_thread::sleep_for(10ms);
  }
}

std::uint16_t process::wait_for_port(const std::string& server_name) const {
  auto line = wait_for_line({"event=listening", "server=" + server_name + " "}, 20s);
  auto at = line.rfind(':');
  return static_cast<std::uint16_t>(std::stoi(line.substr(at + 1)));
}

// ------------------------------------------------------------------------------------------------- HTTP

json::value http_reply::json() const { return json::parse(body); }

std::string http_reply::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

http_reply request(std::uint16_t port, const std::string& method, const std::string& target,
                   const header_pairs& headers, const std::string& body, std::chrono::milliseconds timeout) {
  asio::io_context io;
  http_reply reply;
  auto socket = connect_loopback(io, port, timeout);
  bhttp::write(socket, make_request(port, method, target, headers, body));
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  if (method == "HEAD") parser.skip(true);
  beast::error_code ec;
  bhttp::read(socket, buffer, parser, ec);
  if (parser.is_header_done()) fill_reply(reply, parser);
  reply.body = parser.get().body();
  record(reply.body);
  reply.complete = !ec && parser.is_done();
  if (ec) reply.error = ec.message();
  return reply;
}

namespace {
// What came back, and the error that ended the reading (eof or reset when the server closed, else the timeout).
std::pair<std::string, beast::error_code> exchange_raw(std::uint16_t port, const std::string& bytes,
                                                       std::chrono::milliseconds timeout) {
  asio::io_context io;
  auto socket = connect_loopback(io, port, timeout);
  beast::error_code ec;
  asio::write(socket, asio::buffer(bytes), ec);
  std::string out;
  std::array<char, 4096> chunk{};
  for (;;) {
    auto n = socket.read_some(asio::buffer(chunk), ec);
    if (ec) break;
    out.append(chunk.data(), n);
  }
  record(out);
  return {out, ec};
}
}  // namespace

std::string raw_exchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  return exchange_raw(port, bytes, timeout).first;
}

std::optional<std::string> raw_exchange_until_closed(std::uint16_t port, const std::string& bytes,
                                                     std::chrono::milliseconds timeout) {
  auto [out, ec] = exchange_raw(port, bytes, timeout);
  if (ec != asio::error::eof && ec != asio::error::connection_reset) return std::nullopt;
  return out;
}

unread_request::unread_request(std::uint16_t port, const std::string& target) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int tiny = 2048;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::write(fd_, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close();
  }
}

unread_request::~unread_request() { close(); }

bool unread_request::hang_up_after_a_few_bytes() {
  char some[1024];
  const bool got = fd_ >= 0 && ::read(fd_, some, sizeof some) > 0;
  if (fd_ >= 0) {
    linger reset{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  close();
  return got;
}

void unread_request::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

struct stream_reader::impl {
  asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  beast::error_code ec;
  http_reply head;
};

stream_reader::stream_reader(std::uint16_t port, const std::string& target, std::chrono::milliseconds timeout)
    : stream_reader(port, target, header_pairs{}, timeout) {}

stream_reader::stream_reader(std::uint16_t port, const std::string& target, const header_pairs& headers,
                             std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>()) {
  impl_->socket = connect_loopback(impl_->io, port, timeout);
  bhttp::write(impl_->socket, make_request(port, "GET", target, headers, {}));
  impl_->parser.body_limit(256 * 1024 * 1024);
  bhttp::read_header(impl_->socket, impl_->buffer, impl_->parser, impl_->ec);
  if (!impl_->ec) fill_reply(impl_->head, impl_->parser);
}

stream_reader::~stream_reader() = default;
stream_reader::stream_reader(stream_reader&&) noexcept = default;
stream_reader& stream_reader::operator=(stream_reader&&) noexcept = default;

unsigned stream_reader::status() const { return impl_->head.status; }
std::string stream_reader::header(const std::string& lower_name) const { return impl_->head.header(lower_name); }

const std::string& stream_reader::read_at_least(std::size_t bytes) {
  while (!impl_->ec && !impl_->parser.is_done() && impl_->parser.get().body().size() < bytes) {
    bhttp::read_some(impl_->socket, impl_->buffer, impl_->parser, impl_->ec);
  }
  return impl_->parser.get().body();
}

const std::string& stream_reader::read_to_end() { return read_at_least(std::string::npos); }

bool stream_reader::ended_cleanly() const { return impl_->parser.is_done(); }

bool stream_reader::cut() const {
  return !impl_->parser.is_done() &&
         (impl_->ec == bhttp::error::partial_message || impl_->ec == bhttp::error::end_of_stream ||
          impl_->ec == asio::error::connection_reset || impl_->ec == asio::error::eof);
}

void stream_reader::close() {
  beast::error_code ignored;
  impl_->socket.shutdown(tcp::socket::shutdown_both, ignored);
  impl_->socket.close(ignored);
}

// ------------------------------------------------------------------------------------------------ stack

std::string story_with(const std::string& marker) {
  return "We met at the harbour festival " + marker + " and danced until the lanterns went out.";
}

std::string form_json(const std::string& sender, const std::string& recipient, const std::string& story,
                      const std::string& style) {
  json::object o{{"sender", sender}, {"recipient", recipient}, {"story", story}, {"style", style}};
  return json::serialize(o);
}

stack::stack(sim_settings settings, std::vector<std::string> serve_args)
    : dir_(make_temp_dir()), settings_(settings), serve_args_(std::move(serve_args)) {
  const auto number = [](double v) { return std::to_string(v); };
  std::vector<std::string> args{SERENADE_BINARY, "simulate", "--listen", "127.0.0.1:0", "--api-key", test_api_key,
                                "--song-seconds", number(settings.song_seconds), "--speed", number(settings.speed),
                                "--ready-after", number(settings.ready_after), "--first-audio",
                                number(settings.first_audio), "--expire-after", number(settings.expire_after),
                                "--tick", number(settings.tick)};
  for (const auto& a : settings.extra_args) args.push_back(a);
  simulator_ = std::make_unique<process>(args, std::vector<std::pair<std::string, std::string>>{},
                                         dir_ + "/simulator.log");
  sim_port_ = simulator_->wait_for_port("simulator");
  start_server();
}

std::vector<std::string> stack::serve_command(const std::string& archive_dir,
                                             const std::vector<std::string>& extra_args) const {
  std::vector<std::string> args{SERENADE_BINARY,
                                "serve",
                                "--listen",
                                "127.0.0.1:0",
                                "--database",
                                database_url(),
                                "--archive-dir",
                                archive_dir,
                                "--sonauto-api-base",
                                "http://127.0.0.1:" + std::to_string(sim_port_) + "/v1",
                                "--sonauto-stream-base",
                                "http://127.0.0.1:" + std::to_string(sim_port_),
                                "--poll-interval-ms",
                                "150",
                                "--log-level",
                                "debug"};
  // "--flag value" pairs replace a default given above (CLI11 refuses a repeated option) or are appended.
  // Only flags are looked up: a value equal to an earlier value ("0") must not be taken for it.
  const auto apply = [&](const std::vector<std::string>& more) {
    for (std::size_t i = 0; i < more.size(); ++i) {
      const bool flag = more[i].starts_with("--");
      const bool with_value = flag && i + 1 < more.size() && !more[i + 1].starts_with("--");
      auto known = flag ? std::find(args.begin(), args.end(), more[i]) : args.end();
      if (with_value && known != args.end() && std::next(known) != args.end()) {
        *std::next(known) = more[++i];
        continue;
      }
      args.push_back(more[i]);
      if (with_value) args.push_back(more[++i]);
    }
  };
  apply(serve_args_);
  apply(extra_args);
  return args;
}

void stack::start_server(std::vector<std::string> extra_args) {
  auto args = serve_command(dir_ + "/archive", extra_args);
  server_.reset();
  server_ = std::make_unique<process>(args, std::vector<std::pair<std::string, std::string>>{{"SONAUTO_API_KEY", test_api_key}},
                                      dir_ + "/server.log");
  api_port_ = server_->wait_for_port("serenade");
}

stack::instance stack::start_instance(const std::string& name, std::vector<std::string> extra_args) {
  instance started;
  started.server = std::make_unique<process>(
      serve_command(dir_ + "/archive-" + name, extra_args),
      std::vector<std::pair<std::string, std::string>>{{"SONAUTO_API_KEY", test_api_key}},
      dir_ + "/server-" + name + ".log");
  started.port = started.server->wait_for_port("serenade");
  return started;
}

stack::~stack() {
  server_.reset();
  simulator_.reset();
  if (!std::getenv("SERENADE_KEEP_TEST_DIRS")) std::system(("rm -rf '" + dir_ + "'").c_str());
}

http_reply stack::api(const std::string& method, const std::string& target, const std::string& body,
                      const header_pairs& headers) {
  header_pairs all = headers;
  if (method == "POST" && headers.empty()) all.emplace_back("Content-Type", "application/json");
  return request(api_port_, method, target, all, body);
}

http_reply stack::sim(const std::string& method, const std::string& target, const std::string& body) {
  return request(sim_port_, method, target, {{"Content-Type", "application/json"}}, body);
}

std::string stack::submit(const std::string& marker) {
  auto reply = api("POST", "/api/submissions", form_json("Ana", "Ben", story_with(marker), "acoustic ballad"));
  if (reply.status != 201) throw std::runtime_error("submit failed: " + std::to_string(reply.status) + " " + reply.body);
  return std::string(reply.json().at("session_id").as_string());
}

std::string stack::task_for(const std::string& marker) {
  auto list = sim("GET", "/_sim/tasks").json().as_array();
  for (const auto& t : list) {
    if (std::string_view(t.at("prompt").as_string()).find(marker) != std::string_view::npos) {
      return std::string(t.at("task_id").as_string());
    }
  }
  throw std::runtime_error("no simulator task for " + marker);
}

json::object stack::wait_for_state(const std::string& session, const std::function<bool(const json::object&)>& done,
                                   std::chrono::milliseconds timeout) {
  return wait_for_state_at(api_port_, session, done, timeout);
}

json::object wait_for_state_at(std::uint16_t port, const std::string& session,
                               const std::function<bool(const json::object&)>& done, std::chrono::milliseconds timeout) {
  json::object last;
  wait_until(
      [&] {
        auto reply = request(port, "GET", "/api/submissions/" + session);
        if (reply.status != 200) return false;
        last = reply.json().as_object();
        return done(last);
      },
      [&] { return "state not reached in time; last: " + json::serialize(last); }, timeout);
  return last;
}

namespace {
void run_test_postgres(const char* action) {
  const char* state = std::getenv("SERENADE_TEST_POSTGRES");
  if (!state) throw std::runtime_error("SERENADE_TEST_POSTGRES is not set: run the test through ctest");
  const auto command = std::string(SERENADE_TEST_POSTGRES_SCRIPT) + " " + action + " " + state;
  if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
}
}  // namespace

void halt_postgres() { run_test_postgres("halt"); }
void resume_postgres() { run_test_postgres("resume"); }

std::uint64_t metric_at(std::uint16_t port, const std::string& series) {
  const auto page = request(port, "GET", "/metrics").body;
  const auto value = metric_value(page, series);
  if (!value) throw std::runtime_error("no series " + series + " in /metrics:\n" + page);
  return *value;
}

std::uint64_t wait_for_metric_at(std::uint16_t port, const std::string& series,
                                 const std::function<bool(std::uint64_t)>& done, std::chrono::milliseconds timeout) {
  std::uint64_t last = 0;
  wait_until(
      [&] {
        last = metric_at(port, series);
        return done(last);
      },
      [&] { return series + " never reached the expected value; last: " + std::to_string(last); }, timeout);
  return last;
}

std::uint64_t stack::metric(const std::string& series) { return metric_at(api_port_, series); }

std::uint64_t stack::wait_for_metric(const std::string& series, const std::function<bool(std::uint64_t)>& done,
                                     std::chrono::milliseconds timeout) {
  return wait_for_metric_at(api_port_, series, done, timeout);
}

std::string stack::simulator_audio(const std::string& task_id) { return sim("GET", "/_sim/tasks/" + task_id + "/audio").body; }
std::string stack::simulator_final(const std::string& task_id) { return sim("GET", "/_sim/tasks/" + task_id + "/final").body; }
bool stack::is_whole_song(const std::string& task_id, const std::string& body) {
  return body == simulator_audio(task_id) || body == simulator_final(task_id);
}

stream_reader listen_live(stack& s, const std::string& session) {
  s.wait_for_state(session, is_stream_ready);
  stream_reader listener(s.api_port(), "/api/stream/" + session);
  if (listener.status() != 200) throw std::runtime_error("the live song answered " + std::to_string(listener.status()));
  listener.read_at_least(1);
  return listener;
}

void begin_shutdown(process& server) {
  if (::kill(server.pid(), SIGTERM) != 0) throw std::runtime_error("SIGTERM could not be sent");
  server.wait_for_line({"event=shutdown "}, 10s);
}

std::vector<std::string> webhook_receiver_args(std::uint16_t port) {
  const auto address = "127.0.0.1:" + std::to_string(port);
  return {"--listen", address, "--public-url", "http://" + address, "--webhook-token", test_webhook_token};
}

}  // namespace serenade::testing
