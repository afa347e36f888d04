// client::download against the fake upstream (fake_upstream_test.hpp): one fake plays the API host, another,
// on another port, plays the CDN — a different origin, which must never see the API key.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/this_coro.hpp>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sonauto/client.hpp"
#include "sonauto/fake_upstream_test.hpp"

namespace serenade::sonauto {
namespace {
using namespace test;  // the fake upstream, its helpers, and the asio/http/tcp names they use

// A sink writing every piece to `fd` at its current position.
body_sink write_to(int fd) {
  return [fd](std::span<const char> piece) -> std::error_code {
    while (!piece.empty()) {
      const auto written = ::write(fd, piece.data(), piece.size());
      if (written < 0) {
        if (errno == EINTR) continue;
        return {errno, std::generic_category()};
      }
      piece = piece.subspan(static_cast<std::size_t>(written));
    }
    return {};
  };
}

// A file in the test's temporary directory, open for writing, removed at the end.
class temp_file {
 public:
  temp_file() {
    std::string pattern = ::testing::TempDir() + "sonauto_download_XXXXXX";
    fd_ = ::mkstemp(pattern.data());
    if (fd_ < 0) throw std::runtime_error("mkstemp failed");
    path_ = pattern;
  }
  ~temp_file() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  std::string contents() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  int fd_ = -1;
  std::string path_;
};

asio::awaitable<void> pause(std::chrono::milliseconds how_long) {
  asio::steady_timer timer(co_await asio::this_coro::executor, how_long);
  co_await timer.async_wait(as_values);
}

// The header of a 200 answer with a Content-Length.
std::string ok_header(std::size_t length, std::string_view type = "audio/mpeg") {
  return "HTTP/1.1 200 OK\r\nContent-Type: " + std::string(type) + "\r\nContent-Length: " + std::to_string(length) +
         "\r\n\r\n";
}

std::string redirect(unsigned status, std::string_view location) {
  return "HTTP/1.1 " + std::to_string(status) + " Moved\r\nLocation: " + std::string(location) +
         "\r\nContent-Length: 0\r\n\r\n";
}

bool has_key(const http::request<http::string_body>& request) {
  return request.find(http::field::authorization) != request.end();
}

// Sends `song` with a Content-Length, in `pieces` writes a few milliseconds apart.
fake_upstream::script serve_in_pieces(fake_upstream& fake, const std::string& song, int pieces) {
  return [&fake, &song, pieces](tcp::socket socket) -> asio::awaitable<void> {
    co_await fake.read_request(socket);
    co_await write_raw(socket, ok_header(song.size()));
    const std::size_t step = song.size() / pieces + 1;
    for (std::size_t at = 0; at < song.size(); at += step) {
      co_await write_raw(socket, song.substr(at, step));
      co_await pause(5ms);
    }
    co_await wait_for_peer_close(socket);
  };
}

TEST(download, content_length_body_is_written_byte_exact_without_the_key) {
  const std::string song = random_bytes(300'000, 11);
  fake_upstream api;
  api.start(answer_with(api, response(500, "the API host must not be asked")));
  fake_upstream cdn;
  cdn.start(serve_in_pieces(cdn, song, 6));
  client c(options_for(api));
  temp_file file;
  ASSERT_EQ(::write(file.fd(), "ID", 2), 2);  // the body goes at the fd's current position

  // Percent-encoding (a %2F inside a segment, a signed query) must reach the CDN exactly as given.
  const std::string target = "/cdn/song%20one%2Fa.mp3?sig=a%2Bb%3D&x=1";
  auto done = run(c.download(cdn.base() + target + "#fragment", write_to(file.fd()), 1'000'000));
  ASSERT_TRUE(done) << done.error().describe();
  EXPECT_EQ(done.value().bytes, song.size());
  EXPECT_EQ(done.value().content_length, song.size());
  EXPECT_EQ(done.value().content_type, "audio/mpeg");
  EXPECT_TRUE(file.contents() == "ID" + song) << "file has " << file.contents().size() << " bytes";

  EXPECT_TRUE(api.requests().empty());
  auto requests = cdn.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method(), http::verb::get);
  EXPECT_EQ(requests[0].target(), target);
  EXPECT_EQ(requests[0][http::field::host], "127.0.0.1:" + std::to_string(cdn.port()));
  EXPECT_FALSE(has_key(requests[0])) << requests[0][http::field::authorization];
}

TEST(download, chunked_body_is_written_byte_exact) {
  const std::string song = random_bytes(250'000, 12);
  fake_upstream cdn;
  cdn.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await cdn.read_request(socket);
    co_await write_raw(socket, "HTTP/1.1 200 OK\r\nContent-Type: audio/ogg\r\nTransfer-Encoding: chunked\r\n\r\n");
    std::size_t at = 0;
    const std::size_t sizes[] = {1, 7'000, 100'000, 3, 90'000};
    for (std::size_t size : sizes) {
      co_await write_raw(socket, chunk(song.substr(at, size)));
      at += size;
      co_await pause(5ms);
    }
    co_await write_raw(socket, chunk(song.substr(at)) + "0\r\n\r\n");
    co_await wait_for_peer_close(socket);
  });
  fake_upstream api;
  api.start(answer_with(api, response(500, "unused")));
  client c(options_for(api));
  temp_file file;

  auto done = run(c.download(cdn.base() + "/cdn/t.ogg", write_to(file.fd()), song.size()));  // exactly the limit
  ASSERT_TRUE(done) << done.error().describe();
  EXPECT_EQ(done.value().bytes, song.size());
  EXPECT_FALSE(done.value().content_length);
  EXPECT_EQ(done.value().content_type, "audio/ogg");
  EXPECT_TRUE(file.contents() == song) << "file has " << file.contents().size() << " bytes";
}

TEST(download, the_key_goes_to_the_api_and_stream_hosts_only) {
  fake_upstream api;
  api.start(answer_with(api, response(200, "from api", "audio/mpeg")));
  fake_upstream stream;
  stream.start(answer_with(stream, response(200, "from stream", "audio/mpeg")));
  fake_upstream cdn;
  cdn.start(answer_with(cdn, response(200, "from cdn", "audio/mpeg")));
  auto options = options_for(api);
  options.stream_base = stream.base();
  client c(options);

  for (auto* fake : {&api, &stream, &cdn}) {
    temp_file file;
    // Outside the bases' paths too: the origin decides, not the path.
    auto done = run(c.download(fake->base() + "/files/x.mp3", write_to(file.fd()), 1000));
    ASSERT_TRUE(done) << done.error().describe();
    EXPECT_EQ(file.contents(), fake == &api ? "from api" : fake == &stream ? "from stream" : "from cdn");
  }
  ASSERT_EQ(api.requests().size(), 1u);
  EXPECT_EQ(api.requests()[0][http::field::authorization], "Bearer " + test_key);
  EXPECT_EQ(api.requests()[0].target(), "/files/x.mp3");
  ASSERT_EQ(stream.requests().size(), 1u);
  EXPECT_EQ(stream.requests()[0][http::field::authorization], "Bearer " + test_key);
  ASSERT_EQ(cdn.requests().size(), 1u);
  EXPECT_FALSE(has_key(cdn.requests()[0]));
}

TEST(download, a_host_named_differently_is_another_origin) {
  fake_upstream api;
  api.start(answer_with(api, response(200, "song", "audio/mpeg")));
  client c(options_for(api));  // bases on 127.0.0.1
  temp_file file;

  // Same address and port, but "localhost" is not the configured host name: no key.
  auto done = run(c.download("http://localhost:" + std::to_string(api.port()) + "/x.mp3", write_to(file.fd()), 100));
  if (!done && (done.error().stage == "resolve" || done.error().stage == "connect")) {
    GTEST_SKIP() << "localhost does not reach 127.0.0.1 here: " << done.error().describe();
  }
  ASSERT_TRUE(done) << done.error().describe();
  ASSERT_EQ(api.requests().size(), 1u);
  EXPECT_FALSE(has_key(api.requests()[0]));
}

TEST(download, redirect_from_the_api_host_to_the_cdn_drops_the_key) {
  const std::string song = random_bytes(70'000, 13);
  fake_upstream cdn;
  cdn.start(serve_in_pieces(cdn, song, 3));
  fake_upstream api;
  const std::string location = cdn.base() + "/cdn/a%2Fb%20c.mp3?token=x%2By";
  api.start(answer_with(api, redirect(302, location)));
  client c(options_for(api));
  temp_file file;

  auto done = run(c.download(api.base() + "/v1/songs/t1.mp3", write_to(file.fd()), 1'000'000));
  ASSERT_TRUE(done) << done.error().describe();
  EXPECT_TRUE(file.contents() == song);
  ASSERT_EQ(api.requests().size(), 1u);
  EXPECT_EQ(api.requests()[0][http::field::authorization], "Bearer " + test_key);
  ASSERT_EQ(cdn.requests().size(), 1u);
  EXPECT_FALSE(has_key(cdn.requests()[0])) << cdn.requests()[0][http::field::authorization];
  EXPECT_EQ(cdn.requests()[0].target(), "/cdn/a%2Fb%20c.mp3?token=x%2By");
}

TEST(download, relative_redirect_on_the_same_host_keeps_the_key) {
  fake_upstream api;
  api.start([&](tcp::socket socket) -> asio::awaitable<void> {
    auto request = co_await api.read_request(socket);
    if (request.target() == "/v1/songs/t1.mp3") {
      co_await write_raw(socket, redirect(307, "../files/t%201.mp3?v=2"));
    } else {
      co_await write_raw(socket, response(200, "the song", "audio/mpeg"));
    }
    co_await wait_for_peer_close(socket);
  });
  client c(options_for(api));
  temp_file file;

  auto done = run(c.download(api.base() + "/v1/songs/t1.mp3", write_to(file.fd()), 100));
  ASSERT_TRUE(done) << done.error().describe();
  EXPECT_EQ(file.contents(), "the song");
  auto requests = api.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].target(), "/v1/files/t%201.mp3?v=2");
  EXPECT_EQ(requests[0][http::field::authorization], "Bearer " + test_key);
  EXPECT_EQ(requests[1][http::field::authorization], "Bearer " + test_key);
}

TEST(download, once_a_redirect_left_the_api_host_the_key_is_not_sent_again) {
  fake_upstream api;
  fake_upstream cdn;
  api.start([&](tcp::socket socket) -> asio::awaitable<void> {
    auto request = co_await api.read_request(socket);
    if (request.target() == "/start") {
      co_await write_raw(socket, redirect(303, cdn.base() + "/bounce"));
    } else {
      co_await write_raw(socket, response(200, "back home", "audio/mpeg"));
    }
    co_await wait_for_peer_close(socket);
  });
  cdn.start(answer_with(cdn, redirect(308, api.base() + "/final")));
  client c(options_for(api));
  temp_file file;

  auto done = run(c.download(api.base() + "/start", write_to(file.fd()), 100));
  ASSERT_TRUE(done) << done.error().describe();
  EXPECT_EQ(file.contents(), "back home");
  auto requests = api.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(has_key(requests[0]));
  EXPECT_EQ(requests[1].target(), "/final");
  EXPECT_FALSE(has_key(requests[1]));  // a host that redirected us chose this URL: it gets no key
  ASSERT_EQ(cdn.requests().size(), 1u);
  EXPECT_FALSE(has_key(cdn.requests()[0]));
}

TEST(download, three_redirects_are_followed_and_a_fourth_is_a_protocol_failure) {
  fake_upstream api;
  api.start([&](tcp::socket socket) -> asio::awaitable<void> {
    auto request = co_await api.read_request(socket);
    const int hop = std::atoi(std::string(request.target().substr(1)).c_str());
    std::string answer = hop < 5 ? redirect(301, "/" + std::to_string(hop + 1)) : response(200, "end", "a/b");
    co_await write_raw(socket, std::move(answer));
    co_await wait_for_peer_close(socket);
  });
  client c(options_for(api));

  {
    temp_file file;
    auto done = run(c.download(api.base() + "/2", write_to(file.fd()), 100));  // 2 → 3 → 4 → 5
    ASSERT_TRUE(done) << done.error().describe();
    EXPECT_EQ(file.contents(), "end");
    EXPECT_EQ(api.requests().size(), 4u);
  }
  temp_file file;
  auto done = run(c.download(api.base() + "/1", write_to(file.fd()), 100));  // 1 → 2 → 3 → 4 → 5: one too many
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, failure_kind::protocol) << done.error().describe();
  EXPECT_EQ(done.error().stage, "read_header");
  EXPECT_NE(done.error().detail.find("more than 3 redirects"), std::string::npos) << done.error().detail;
  EXPECT_EQ(api.requests().size(), 8u);
  EXPECT_EQ(file.contents(), "");
}

TEST(download, not_found_is_http_status_404_with_detail) {
  fake_upstream cdn;
  cdn.start(answer_with(cdn, response(404, R"({"detail":"Not found"})")));
  fake_upstream api;
  api.start(answer_with(api, response(500, "unused")));
  client c(options_for(api));
  temp_file file;

  auto done = run(c.download(cdn.base() + "/cdn/gone.mp3", write_to(file.fd()), 1000));
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, failure_kind::http_status);
  EXPECT_EQ(done.error().status, 404u);
  EXPECT_EQ(done.error().detail, "Not found");
  EXPECT_EQ(done.error().describe(), "read_header: HTTP 404: Not found");
  EXPECT_EQ(file.contents(), "");
}

TEST(download, chunked_body_over_max_bytes_fails_without_writing_past_the_limit) {
  const std::string song = random_bytes(100'000, 14);
  fake_upstream cdn;
  cdn.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await cdn.read_request(socket);
    co_await write_raw(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (std::size_t at = 0; at < song.size(); at += 10'000) {
      co_await write_raw(socket, chunk(song.substr(at, 10'000)));
      co_await pause(2ms);
    }
    co_await write_raw(socket, "0\r\n\r\n");
    co_await wait_for_peer_close(socket);
  });
  fake_upstream api;
  api.start(answer_with(api, response(500, "unused")));
  client c(options_for(api));
  temp_file file;

  auto done = run(c.download(cdn.base() + "/big.mp3", write_to(file.fd()), 25'000));
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, failure_kind::protocol) << done.error().describe();
  EXPECT_EQ(done.error().stage, "read_body");
  EXPECT_NE(done.error().detail.find("larger than 25000 bytes"), std::string::npos) << done.error().detail;
  const std::string written = file.contents();
  EXPECT_LE(written.size(), 25'000u);
  EXPECT_TRUE(written == song.substr(0, written.size()));
}

TEST(download, content_length_over_max_bytes_fails_before_writing) {
  const std::string song = random_bytes(50'000, 15);
  fake_upstream cdn;
  cdn.start(answer_with(cdn, ok_header(song.size()) + song));
  fake_upstream api;
  api.start(answer_with(api, response(500, "unused")));
  client c(options_for(api));
  temp_file file;

  auto done = run(c.download(cdn.base() + "/big.mp3", write_to(file.fd()), 49'999));
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, failure_kind::protocol) << done.error().describe();
  EXPECT_EQ(done.error().stage, "read_body");
  EXPECT_NE(done.error().detail.find("larger than 49999 bytes"), std::string::npos) << done.error().detail;
  EXPECT_EQ(file.contents(), "");
}

TEST(download, body_cut_before_its_content_length_is_a_protocol_failure) {
  const std::string song = random_bytes(100'000, 16);
  fake_upstream cdn;
  cdn.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await cdn.read_request(socket);
    co_await write_raw(socket, ok_header(song.size()) + song.substr(0, 40'000));
    co_await pause(10ms);
    socket.close();
  });
  fake_upstream api;
  api.start(answer_with(api, response(500, "unused")));
  client c(options_for(api));
  temp_file file;

  auto done = run(c.download(cdn.base() + "/half.mp3", write_to(file.fd()), 1'000'000));
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, failure_kind::protocol) << done.error().describe();
  EXPECT_EQ(done.error().stage, "read_body");
  const std::string written = file.contents();
  EXPECT_LE(written.size(), 40'000u);
  EXPECT_TRUE(written == song.substr(0, written.size()));
}

TEST(download, a_sink_that_refuses_stops_the_download_as_a_write_body_failure) {
  fake_upstream cdn;
  cdn.start(answer_with(cdn, response(200, random_bytes(200'000, 5), "audio/mpeg")));
  client c(options_for(cdn));
  int pieces = 0;
  auto refuse = [&pieces](std::span<const char>) {
    ++pieces;
    return std::make_error_code(std::errc::no_space_on_device);
  };
  auto done = run(c.download(cdn.base() + "/x.mp3", refuse, 1'000'000));
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, failure_kind::protocol) << done.error().describe();
  EXPECT_EQ(done.error().stage, "write_body");
  EXPECT_NE(done.error().detail.find("No space left on device"), std::string::npos) << done.error().detail;
  EXPECT_EQ(pieces, 1);  // nothing more is read once the sink refused
}

TEST(download, write_error_while_writing_is_a_write_body_failure) {
  const int full = ::open("/dev/full", O_WRONLY);
  if (full < 0) GTEST_SKIP() << "no /dev/full here";
  fake_upstream cdn;
  cdn.start(answer_with(cdn, response(200, random_bytes(10'000, 17), "audio/mpeg")));
  client c(options_for(cdn));

  auto done = run(c.download(cdn.base() + "/x.mp3", write_to(full), 1'000'000));
  ::close(full);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, failure_kind::protocol) << done.error().describe();
  EXPECT_EQ(done.error().stage, "write_body");
  EXPECT_NE(done.error().detail.find("No space left on device"), std::string::npos) << done.error().detail;
  EXPECT_EQ(cdn.requests().size(), 1u);  // this one did reach upstream: the failure is the write's
}

TEST(download, silent_body_times_out_on_idle) {
  fake_upstream cdn;
  cdn.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await cdn.read_request(socket);
    co_await write_raw(socket, ok_header(1000) + "abc");
    co_await wait_for_peer_close(socket);  // then silence
  });
  auto options = options_for(cdn);
  options.stream_read_timeout = 1s;
  client c(options);
  temp_file file;

  const auto start = std::chrono::steady_clock::now();
  auto done = run(c.download(cdn.base() + "/slow.mp3", write_to(file.fd()), 1'000'000));
  const double elapsed = seconds_since(start);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, failure_kind::timeout) << done.error().describe();
  EXPECT_EQ(done.error().stage, "read_body");
  EXPECT_EQ(file.contents(), "abc");
  EXPECT_GE(elapsed, 0.9);
  EXPECT_LT(elapsed, 2.5);
}

TEST(download, slow_but_steady_body_is_not_an_idle_timeout) {
  fake_upstream cdn;
  cdn.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await cdn.read_request(socket);
    co_await write_raw(socket, ok_header(6));
    const std::string song = "abcdef";
    for (std::size_t at = 0; at < song.size(); ++at) {  // 1.8 s in all, never more than 0.3 s of silence
      co_await pause(300ms);
      co_await write_raw(socket, song.substr(at, 1));
    }
    co_await wait_for_peer_close(socket);
  });
  auto options = options_for(cdn);
  options.stream_read_timeout = 1s;
  client c(options);
  temp_file file;

  auto done = run(c.download(cdn.base() + "/steady.mp3", write_to(file.fd()), 100));
  ASSERT_TRUE(done) << done.error().describe();
  EXPECT_EQ(file.contents(), "abcdef");
}

TEST(download, bad_urls_and_echoed_keys_never_show_the_key) {
  fake_upstream cdn;
  cdn.start(answer_with(cdn, response(403, R"({"detail":"token )" + test_key + R"( refused"})")));
  client c(options_for(cdn));
  temp_file file;

  const std::vector<std::string> bad_urls = {"ftp://cdn.example/" + test_key, "not a url " + test_key,
                                             "/relative/x.mp3", "http://user:" + test_key + "@cdn.example/x.mp3"};
  for (const auto& url : bad_urls) {
    auto done = run(c.download(url, write_to(file.fd()), 100));
    ASSERT_FALSE(done) << url;
    EXPECT_EQ(done.error().kind, failure_kind::protocol) << done.error().describe();
    EXPECT_EQ(done.error().describe().find(test_key), std::string::npos) << done.error().describe();
  }
  auto refused = run(c.download(cdn.base() + "/x.mp3", write_to(file.fd()), 100));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status, 403u);
  EXPECT_EQ(refused.error().detail, "token [redacted] refused");
  EXPECT_TRUE(cdn.requests().size() == 1u && has_key(cdn.requests()[0]));  // same origin as the bases
  EXPECT_EQ(file.contents(), "");
}

}  // namespace
}  // namespace serenade::sonauto
