// The client against a scripted fake upstream (fake_upstream_test.hpp): a Beast server on 127.0.0.1:0 running on its
// own thread, where each test writes what the upstream does with one connection, byte for byte when framing matters.
#include "sonauto/client.hpp"

#include "core/testing/test_certificate.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "sonauto/fake_upstream_test.hpp"

namespace serenade::sonauto {
namespace {
using namespace test;  // the fake upstream, its helpers, and the asio/http/tcp names they use

// Reads the whole body with a small buffer; returns the bytes, the number of pieces and the failure, if any.
struct drained {
  std::string bytes;
  int pieces = 0;
  bool clean_end = false;
  std::optional<failure> error;
};

asio::awaitable<drained> drain(upstream_stream& stream, std::size_t buffer_size = 4096) {
  drained out;
  std::vector<char> buffer(buffer_size);
  for (;;) {
    auto got = co_await stream.read_some(buffer);
    if (!got) {
      out.error = got.error();
      co_return out;
    }
    if (got.value() == 0) {
      out.clean_end = true;
      co_return out;
    }
    out.bytes.append(buffer.data(), got.value());
    ++out.pieces;
  }
}

// ---- REST ----

TEST(client, create_sends_the_exact_fields_and_bearer_key) {
  fake_upstream fake;
  fake.start(answer_with(fake, response(200, R"({"task_id":"9a1f-task"})")));
  client c(options_for(fake));

  auto id = run(c.create_generation(
      {.prompt = "A song for Ana", .tags = {"pop", "romantic"}, .webhook_url = "https://s.example/hook/secret"}));
  ASSERT_TRUE(id) << id.error().describe();
  EXPECT_EQ(id.value(), "9a1f-task");

  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests[0];
  EXPECT_EQ(request.method(), http::verb::post);
  EXPECT_EQ(request.target(), "/v1/generations/v3");
  EXPECT_EQ(request[http::field::authorization], "Bearer " + test_key);
  EXPECT_EQ(request[http::field::host], "127.0.0.1:" + std::to_string(fake.port()));
  EXPECT_EQ(request[http::field::user_agent], "serenade/0.1");
  EXPECT_EQ(request[http::field::content_type], "application/json");
  EXPECT_EQ(boost::json::parse(request.body()), boost::json::parse(R"({"prompt":"A song for Ana",
    "tags":["pop","romantic"],"enable_streaming":true,"stream_format":"mp3","output_format":"mp3",
    "output_bit_rate":192,"webhook_url":"https://s.example/hook/secret"})"));
}

TEST(client, status_parses_the_quoted_string_and_encodes_the_id) {
  fake_upstream fake;
  fake.start(answer_with(fake, response(200, R"("GENERATING")")));
  client c(options_for(fake));

  auto status = run(c.status("task/1 ?x"));
  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_EQ(status.value().status, task_status::generating);
  ASSERT_EQ(fake.requests().size(), 1u);
  EXPECT_EQ(fake.requests()[0].method(), http::verb::get);
  EXPECT_EQ(fake.requests()[0].target(), "/v1/generations/status/task%2F1%20%3Fx");
  EXPECT_EQ(fake.requests()[0][http::field::authorization], "Bearer " + test_key);
}

TEST(client, calls_copy_their_arguments_when_made) {
  fake_upstream fake;
  fake.start(answer_with(fake, response(200, R"("RECEIVED")")));
  client c(options_for(fake));

  asio::io_context io;
  std::optional<outcome<status_report>> status;
  {
    std::string id = "task-temp";
    asio::co_spawn(io, c.status(id),
                   [&](std::exception_ptr, outcome<status_report> value) { status = std::move(value); });
    id.assign(64, 'x');  // the operation has not started yet; it must not be reading this string
  }
  io.run_for(5s);
  ASSERT_TRUE(status);
  ASSERT_TRUE(*status) << status->error().describe();
  EXPECT_EQ(fake.requests().at(0).target(), "/v1/generations/status/task-temp");
}

TEST(client, result_parses_song_paths_and_lyrics_and_tolerates_nulls) {
  fake_upstream fake;
  fake.start(answer_with(fake, response(200, R"({"id":"t1","status":"SUCCESS","song_paths":["https://cdn/x.mp3"],
    "lyrics":"la la","error_message":null,"tags":null,"alignment_status":null,"surprise":{"a":[1]}})")));
  client c(options_for(fake));

  auto result = run(c.result("t1"));
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result.value().id, "t1");
  EXPECT_EQ(result.value().status, "SUCCESS");
  EXPECT_EQ(result.value().song_paths, std::vector<std::string>{"https://cdn/x.mp3"});
  EXPECT_EQ(result.value().lyrics, "la la");
  EXPECT_FALSE(result.value().error_message);
  EXPECT_TRUE(result.value().tags.empty());
  EXPECT_EQ(fake.requests().at(0).target(), "/v1/generations/t1");
}

TEST(client, result_with_null_song_paths_is_empty) {
  fake_upstream fake;
  fake.start(answer_with(fake, response(200, R"({"status":"GENERATING","song_paths":null,"lyrics":null})")));
  client c(options_for(fake));

  auto result = run(c.result("t2"));
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result.value().id, "t2");  // missing id: the one we asked for
  EXPECT_TRUE(result.value().song_paths.empty());
  EXPECT_FALSE(result.value().lyrics);
}

TEST(client, unauthorized_carries_status_and_detail) {
  fake_upstream fake;
  fake.start(answer_with(fake, response(401, R"({"detail":"Invalid API key format"})")));
  client c(options_for(fake));

  auto id = run(c.create_generation({.prompt = "p"}));
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().kind, failure_kind::http_status);
  EXPECT_EQ(id.error().status, 401u);
  EXPECT_EQ(id.error().detail, "Invalid API key format");
  EXPECT_EQ(id.error().describe(), "read_header: HTTP 401: Invalid API key format");
}

TEST(client, validation_error_list_is_joined) {
  fake_upstream fake;
  fake.start(answer_with(fake, response(422, R"({"detail":[
    {"loc":["body","tags"],"msg":"Invalid tags: zzz","type":"value_error"},
    {"loc":["body","output_bit_rate"],"msg":"bit rate needs mp3 or m4a","type":"value_error"}]})")));
  client c(options_for(fake));

  auto id = run(c.create_generation({.prompt = "p", .tags = {"zzz"}}));
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().status, 422u);
  EXPECT_EQ(id.error().detail, "Invalid tags: zzz; bit rate needs mp3 or m4a");
}

TEST(client, non_json_error_body_becomes_trimmed_text) {
  fake_upstream fake;
  fake.start(answer_with(fake, response(500, "\n  upstream exploded \n", "text/plain")));
  client c(options_for(fake));

  auto status = run(c.status("t"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind, failure_kind::http_status);
  EXPECT_EQ(status.error().status, 500u);
  EXPECT_EQ(status.error().detail, "upstream exploded");
}

TEST(client, echoed_key_appears_nowhere_in_the_failure) {
  fake_upstream fake;
  fake.start(answer_with(fake, response(403, R"({"detail":"key )" + test_key + R"( is not allowed"})")));
  client c(options_for(fake));

  auto status = run(c.status("t"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().detail, "key [redacted] is not allowed");
  EXPECT_EQ(status.error().describe().find(test_key), std::string::npos);
}

TEST(client, echoed_key_in_a_long_text_body_is_not_left_half_cut) {
  fake_upstream fake;
  fake.start(answer_with(fake, response(500, std::string(185, 'z') + "Bearer " + test_key, "text/plain")));
  client c(options_for(fake));

  auto status = run(c.status("t"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().detail.find("sksonauto"), std::string::npos) << status.error().detail;
  EXPECT_EQ(status.error().describe().find("sksonauto"), std::string::npos);
}

TEST(client, refused_connection_is_a_connect_failure) {
  unsigned short port = 0;
  {
    asio::io_context io;
    tcp::acceptor bound(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = bound.local_endpoint().port();
  }  // closed: nothing listens there now
  client_options options;
  options.api_key = test_key;
  options.api_base = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  options.stream_base = "http://127.0.0.1:" + std::to_string(port);
  client c(options);

  auto status = run(c.status("t"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind, failure_kind::connect) << status.error().describe();
  EXPECT_EQ(status.error().stage, "connect");
}

TEST(client, unresolvable_host_fails_in_the_resolve_stage) {
  client_options options;
  options.api_key = test_key;
  options.api_base = "http://serenade-test.invalid/v1";  // .invalid never resolves (RFC 6761)
  options.stream_base = "http://serenade-test.invalid";
  options.connect_timeout = 2s;  // a resolver without DNS may time out instead of answering
  client c(options);

  auto status = run(c.status("t"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().stage, "resolve") << status.error().describe();
  EXPECT_TRUE(status.error().kind == failure_kind::resolve || status.error().kind == failure_kind::timeout)
      << status.error().describe();
}

TEST(client, silent_server_times_out_within_request_timeout) {
  fake_upstream fake;
  fake.start([&fake](tcp::socket socket) -> asio::awaitable<void> {
    co_await fake.read_request(socket);
    co_await wait_for_peer_close(socket);
  });
  auto options = options_for(fake);
  options.request_timeout = 1s;
  client c(options);

  const auto start = std::chrono::steady_clock::now();
  auto status = run(c.status("t"));
  const double elapsed = seconds_since(start);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind, failure_kind::timeout) << status.error().describe();
  EXPECT_EQ(status.error().describe(), "read_header: timeout after 1s");
  EXPECT_GE(elapsed, 0.9);
  EXPECT_LT(elapsed, 2.5);
}

TEST(client, https_base_against_plain_tcp_is_a_tls_failure) {
  fake_upstream fake;
  fake.start([](tcp::socket socket) -> asio::awaitable<void> {
    char hello[512];
    co_await socket.async_read_some(asio::buffer(hello), as_values);  // the ClientHello, read as if it were HTTP
    co_await write_raw(socket, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  auto options = options_for(fake);
  options.api_base = "https://127.0.0.1:" + std::to_string(fake.port()) + "/v1";
  options.connect_timeout = 3s;
  client c(options);

  const auto start = std::chrono::steady_clock::now();
  auto status = run(c.status("t"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind, failure_kind::tls) << status.error().describe();
  EXPECT_EQ(status.error().stage, "tls_handshake");
  EXPECT_LT(seconds_since(start), 2.0);
}

TEST(client, cancellation_slot_stops_a_pending_call) {
  fake_upstream fake;
  fake.start([&fake](tcp::socket socket) -> asio::awaitable<void> {
    co_await fake.read_request(socket);
    co_await wait_for_peer_close(socket);
  });
  client c(options_for(fake));  // request_timeout 5s: only cancellation can end this quickly

  asio::io_context io;
  asio::cancellation_signal signal;
  std::optional<outcome<status_report>> status;
  std::exception_ptr thrown;
  asio::co_spawn(io, c.status("t"),
                 asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e, outcome<status_report> value) {
                   thrown = e;
                   status = std::move(value);
                 }));
  asio::steady_timer later(io, 200ms);
  later.async_wait([&](auto) { signal.emit(asio::cancellation_type::terminal); });
  const auto start = std::chrono::steady_clock::now();
  io.run_for(4s);
  EXPECT_FALSE(thrown) << "cancellation must be a failure value, not an exception";
  ASSERT_TRUE(status);
  ASSERT_FALSE(*status);
  EXPECT_EQ(status->error().kind, failure_kind::cancelled) << status->error().describe();
  EXPECT_LT(seconds_since(start), 1.5);
}

// ---- stream ----

TEST(client, chunked_stream_arrives_piece_by_piece) {
  const std::string first = "ID3 first audio";
  const std::string rest = random_bytes(100'000, 1);
  fake_upstream fake;
  fake.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await fake.read_request(socket);
    co_await write_raw(socket, "HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                   chunk(first));
    co_await fake.wait_gate();  // hold the rest back until the client has seen the first piece
    co_await write_raw(socket, chunk(rest.substr(0, 60'000)) + chunk(rest.substr(60'000)) + "0\r\n\r\n");
    co_await wait_for_peer_close(socket);
  });
  client c(options_for(fake));

  std::string piece;
  drained tail;
  unsigned status = 0;
  std::string type;
  std::optional<failure> open_error;
  auto done = run([&]() -> asio::awaitable<bool> {
    auto opened = co_await c.open_stream("task-1");
    if (!opened) {
      open_error = opened.error();
      co_return false;
    }
    auto& stream = *opened.value();
    status = stream.status();
    type = stream.content_type();
    std::vector<char> buffer(64 * 1024);
    auto got = co_await stream.read_some(buffer);  // must return with only the first chunk available
    if (got) piece.assign(buffer.data(), got.value());
    fake.open_gate();
    tail = co_await drain(stream);
    co_return true;
  }());
  ASSERT_TRUE(done) << open_error->describe();
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(type, "audio/mpeg");
  EXPECT_EQ(piece, first);
  EXPECT_TRUE(tail.clean_end) << (tail.error ? tail.error->describe() : "");
  EXPECT_GT(tail.pieces, 1);
  EXPECT_TRUE(tail.bytes == rest) << "got " << tail.bytes.size() << " bytes";
  ASSERT_EQ(fake.requests().size(), 1u);
  EXPECT_EQ(fake.requests()[0].target(), "/stream/task-1");
  EXPECT_EQ(fake.requests()[0][http::field::authorization], "Bearer " + test_key);
}

TEST(client, content_length_stream_ends_at_its_length_and_defaults_the_type) {
  const std::string song = random_bytes(20'000, 2);
  fake_upstream fake;
  fake.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await fake.read_request(socket);
    // No Content-Type, and the connection stays open: the end must come from the length.
    co_await write_raw(socket, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(song.size()) + "\r\n\r\n" + song);
    co_await wait_for_peer_close(socket);
  });
  client c(options_for(fake));

  std::string type;
  auto body = run([&]() -> asio::awaitable<drained> {
    auto opened = co_await c.open_stream("t");
    if (!opened) co_return drained{{}, 0, false, opened.error()};
    type = opened.value()->content_type();
    co_return co_await drain(*opened.value(), 3000);
  }());
  EXPECT_EQ(type, "audio/mpeg");
  EXPECT_TRUE(body.clean_end) << (body.error ? body.error->describe() : "");
  EXPECT_TRUE(body.bytes == song);
}

// Another instance's relay of a song (live/hub.hpp, edge): a stream from a URL of its own, with the headers given,
// and without the API key, which goes to Sonauto's hosts only.
TEST(client, a_stream_from_another_host_gets_the_given_headers_and_never_the_key) {
  const std::string song = random_bytes(20'000, 3);
  fake_upstream api;
  api.start(answer_with(api, response(500, "the API host must not be asked")));
  fake_upstream relay;
  relay.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await relay.read_request(socket);
    co_await write_raw(socket, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(song.size()) + "\r\n\r\n" + song);
    co_await wait_for_peer_close(socket);
  });
  client c(options_for(api));
  const header_list headers{{"X-Serenade-Relay", "k"}};
  const auto url = relay.base() + "/api/stream/s1";
  auto body = run([&]() -> asio::awaitable<drained> {
    auto opened = co_await c.open_stream_at(url, headers);
    if (!opened) co_return drained{{}, 0, false, opened.error()};
    co_return co_await drain(*opened.value(), 3000);
  }());
  EXPECT_TRUE(body.clean_end) << (body.error ? body.error->describe() : "");
  EXPECT_TRUE(body.bytes == song);
  EXPECT_TRUE(api.requests().empty());
  const auto requests = relay.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target(), "/api/stream/s1");
  EXPECT_EQ(requests[0]["X-Serenade-Relay"], "k");
  EXPECT_EQ(requests[0].find(http::field::authorization), requests[0].end()) << requests[0][http::field::authorization];
}

TEST(client, upstream_cut_mid_chunk_is_a_protocol_failure) {
  const std::string sent = "0123456789abcdef";
  fake_upstream fake;
  fake.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await fake.read_request(socket);
    // One whole chunk, then a chunk announced as 0x20 bytes of which only 6 come before the connection drops.
    co_await write_raw(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(sent.substr(0, 10)) +
                                   "20\r\n" + sent.substr(10));
    socket.close();
  });
  client c(options_for(fake));

  auto body = run([&]() -> asio::awaitable<drained> {
    auto opened = co_await c.open_stream("t");
    if (!opened) co_return drained{{}, 0, false, opened.error()};
    co_return co_await drain(*opened.value());
  }());
  EXPECT_FALSE(body.clean_end);
  ASSERT_TRUE(body.error);
  EXPECT_EQ(body.error->kind, failure_kind::protocol) << body.error->describe();
  EXPECT_EQ(body.error->stage, "read_body");
  EXPECT_EQ(body.bytes, sent);  // every byte that arrived was handed out before the failure
}

TEST(client, bad_chunk_framing_hands_out_the_data_then_fails) {
  fake_upstream fake;
  fake.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await fake.read_request(socket);
    // In one write: a 5-byte chunk whose data is followed by junk instead of CRLF. The parser meets the data and the
    // error in the same read; the data must still reach the caller before the failure.
    co_await write_raw(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n");
    co_await wait_for_peer_close(socket);
  });
  client c(options_for(fake));

  auto body = run([&]() -> asio::awaitable<drained> {
    auto opened = co_await c.open_stream("t");
    if (!opened) co_return drained{{}, 0, false, opened.error()};
    co_return co_await drain(*opened.value());
  }());
  EXPECT_EQ(body.bytes, "hello");
  ASSERT_TRUE(body.error);
  EXPECT_EQ(body.error->kind, failure_kind::protocol) << body.error->describe();
  EXPECT_EQ(body.error->stage, "read_body");
}

TEST(client, stream_before_ready_is_http_400_with_detail) {
  fake_upstream fake;
  fake.start(answer_with(fake, response(400, R"({"detail":"Track not ready for streaming"})")));
  client c(options_for(fake));

  auto opened = run(c.open_stream("t"));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().kind, failure_kind::http_status);
  EXPECT_EQ(opened.error().status, 400u);
  EXPECT_EQ(opened.error().detail, "Track not ready for streaming");
}

TEST(client, stream_refusal_with_chunked_body_and_echoed_key) {
  const std::string detail = R"({"detail":"no such task for )" + test_key + R"("})";
  fake_upstream fake;
  fake.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await fake.read_request(socket);
    co_await write_raw(socket, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n" + chunk(detail.substr(0, 20)) +
                                   chunk(detail.substr(20)) + "0\r\n\r\n");
    co_await wait_for_peer_close(socket);
  });
  client c(options_for(fake));

  auto opened = run(c.open_stream("t"));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().status, 404u);
  EXPECT_EQ(opened.error().detail, "no such task for [redacted]");
}

TEST(client, close_completes_a_pending_read_promptly_with_cancelled) {
  fake_upstream fake;
  fake.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await fake.read_request(socket);
    co_await write_raw(socket, "HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nTransfer-Encoding: chunked\r\n\r\n");
    co_await wait_for_peer_close(socket);  // then silence
  });
  auto options = options_for(fake);
  options.stream_read_timeout = 600s;
  client c(options);

  std::optional<outcome<std::size_t>> pending;
  std::optional<outcome<std::size_t>> after_close;
  double close_to_done = -1;
  auto opened_ok = run([&]() -> asio::awaitable<bool> {
    auto opened = co_await c.open_stream("t");
    if (!opened) co_return false;
    std::shared_ptr<upstream_stream> stream = std::move(opened).value();
    auto executor = co_await asio::this_coro::executor;
    std::chrono::steady_clock::time_point closed_at;
    std::vector<char> buffer(1024);
    asio::co_spawn(executor, stream->read_some(buffer), [&](std::exception_ptr, outcome<std::size_t> value) {
      pending = std::move(value);
      close_to_done = seconds_since(closed_at);
    });
    asio::steady_timer timer(executor, 100ms);
    co_await timer.async_wait(as_values);
    closed_at = std::chrono::steady_clock::now();
    stream->close();
    stream->close();  // twice is fine
    timer.expires_after(20ms);
    while (!pending) co_await timer.async_wait(as_values);
    after_close = co_await stream->read_some(buffer);
    co_return true;
  }(), 4s);
  ASSERT_TRUE(opened_ok);
  ASSERT_TRUE(pending);
  ASSERT_FALSE(*pending);
  EXPECT_EQ(pending->error().kind, failure_kind::cancelled) << pending->error().describe();
  EXPECT_GE(close_to_done, 0.0);
  EXPECT_LT(close_to_done, 1.0);
  ASSERT_TRUE(after_close);
  ASSERT_FALSE(*after_close);
  EXPECT_EQ(after_close->error().kind, failure_kind::cancelled);
}

TEST(client, destroying_the_stream_during_a_read_cancels_it) {
  fake_upstream fake;
  fake.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await fake.read_request(socket);
    co_await write_raw(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    co_await wait_for_peer_close(socket);
  });
  client c(options_for(fake));

  std::optional<outcome<std::size_t>> pending;
  auto opened_ok = run([&]() -> asio::awaitable<bool> {
    auto opened = co_await c.open_stream("t");
    if (!opened) co_return false;
    auto stream = std::move(opened).value();
    auto executor = co_await asio::this_coro::executor;
    static char buffer[256];
    asio::co_spawn(executor, stream->read_some(buffer),
                   [&](std::exception_ptr, outcome<std::size_t> value) { pending = std::move(value); });
    asio::steady_timer timer(executor, 50ms);
    co_await timer.async_wait(as_values);
    stream.reset();
    timer.expires_after(10ms);
    while (!pending) co_await timer.async_wait(as_values);
    co_return true;
  }(), 3s);
  ASSERT_TRUE(opened_ok);
  ASSERT_TRUE(pending);
  ASSERT_FALSE(*pending);
  EXPECT_EQ(pending->error().kind, failure_kind::cancelled);
}

TEST(client, silent_stream_times_out_on_idle) {
  fake_upstream fake;
  fake.start([&](tcp::socket socket) -> asio::awaitable<void> {
    co_await fake.read_request(socket);
    co_await write_raw(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk("abc"));
    co_await wait_for_peer_close(socket);
  });
  auto options = options_for(fake);
  options.stream_read_timeout = 1s;
  client c(options);

  const auto start = std::chrono::steady_clock::now();
  auto body = run([&]() -> asio::awaitable<drained> {
    auto opened = co_await c.open_stream("t");
    if (!opened) co_return drained{{}, 0, false, opened.error()};
    co_return co_await drain(*opened.value());
  }());
  const double elapsed = seconds_since(start);
  EXPECT_EQ(body.bytes, "abc");
  ASSERT_TRUE(body.error);
  EXPECT_EQ(body.error->kind, failure_kind::timeout) << body.error->describe();
  EXPECT_EQ(body.error->stage, "read_body");
  EXPECT_GE(elapsed, 0.9);
  EXPECT_LT(elapsed, 2.5);
}

// ---- TLS ----

using serenade::testing::make_test_certificate;
using serenade::testing::test_certificate;

// A TLS fake: handshakes with `certificate`, records the SNI name it was sent, answers one canned response.
struct tls_fake {
  explicit tls_fake(const test_certificate& certificate) : context(asio::ssl::context::tls_server) {
    context.use_certificate_chain(asio::buffer(certificate.cert_pem));
    context.use_private_key(asio::buffer(certificate.key_pem), asio::ssl::context::pem);
    fake.start([this](tcp::socket socket) -> asio::awaitable<void> {
      asio::ssl::stream<tcp::socket> stream(std::move(socket), context);
      auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, as_values);
      if (ec) co_return;
      if (const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
        std::lock_guard lock(mutex);
        sni = name;
      }
      co_await fake.read_request(stream);
      co_await write_raw(stream, response(200, R"("SUCCESS")"));
      co_await stream.async_shutdown(as_values);
    });
  }
  std::string seen_sni() {
    std::lock_guard lock(mutex);
    return sni;
  }

  asio::ssl::context context;
  std::mutex mutex;
  std::string sni;
  fake_upstream fake;  // last: stopped before the context and the SNI record go away
};

client_options tls_options(const tls_fake& server, std::string host, std::string extra_ca) {
  client_options options;
  options.api_key = test_key;
  options.api_base = "https://" + host + ":" + std::to_string(server.fake.port()) + "/v1";
  options.stream_base = options.api_base;
  options.connect_timeout = 3s;
  options.request_timeout = 3s;
  options.extra_ca_pem = std::move(extra_ca);
  return options;
}

TEST(client, https_with_a_trusted_certificate_sends_sni_and_succeeds) {
  auto certificate = make_test_certificate("localhost");
  tls_fake server(certificate);
  client c(tls_options(server, "localhost", certificate.cert_pem));

  auto status = run(c.status("t"));
  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_EQ(status.value().status, task_status::success);
  EXPECT_EQ(server.seen_sni(), "localhost");
  ASSERT_EQ(server.fake.requests().size(), 1u);
  EXPECT_EQ(server.fake.requests()[0][http::field::host], "localhost:" + std::to_string(server.fake.port()));
}

TEST(client, https_with_an_untrusted_certificate_is_a_tls_failure) {
  auto certificate = make_test_certificate("localhost");
  tls_fake server(certificate);
  client c(tls_options(server, "localhost", ""));  // system store only: the self-signed certificate is unknown

  auto status = run(c.status("t"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind, failure_kind::tls) << status.error().describe();
  EXPECT_NE(status.error().detail.find("certificate"), std::string::npos) << status.error().detail;
  EXPECT_TRUE(server.fake.requests().empty());
}

TEST(client, https_with_a_certificate_for_another_name_is_a_tls_failure) {
  auto certificate = make_test_certificate("api.other.example");
  tls_fake server(certificate);
  client c(tls_options(server, "localhost", certificate.cert_pem));  // trusted, but not for "localhost"

  auto status = run(c.status("t"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind, failure_kind::tls) << status.error().describe();
  EXPECT_NE(status.error().detail.find("hostname mismatch"), std::string::npos) << status.error().detail;
  EXPECT_TRUE(server.fake.requests().empty());
}

TEST(client, https_download_from_a_cdn_name_verifies_it_sends_sni_and_no_key) {
  auto certificate = make_test_certificate("localhost");
  tls_fake server(certificate);
  auto options = tls_options(server, "localhost", certificate.cert_pem);
  options.api_base = "https://127.0.0.1:" + std::to_string(server.fake.port()) + "/v1";  // another origin
  options.stream_base = options.api_base;
  client c(options);
  std::string body;
  auto keep = [&body](std::span<const char> piece) {
    body.append(piece.data(), piece.size());
    return std::error_code{};
  };

  auto done = run(c.download("https://localhost:" + std::to_string(server.fake.port()) + "/cdn/x.mp3", keep, 1000));
  ASSERT_TRUE(done) << done.error().describe();
  EXPECT_EQ(done.value().bytes, 9u);
  EXPECT_EQ(server.seen_sni(), "localhost");
  auto requests = server.fake.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target(), "/cdn/x.mp3");
  EXPECT_TRUE(requests[0].find(http::field::authorization) == requests[0].end())
      << requests[0][http::field::authorization];
  EXPECT_EQ(body, R"("SUCCESS")");
}

TEST(client, https_download_with_an_untrusted_certificate_is_a_tls_failure) {
  auto certificate = make_test_certificate("localhost");
  tls_fake server(certificate);
  client c(tls_options(server, "localhost", ""));
  auto ignore = [](std::span<const char>) { return std::error_code{}; };

  auto done = run(c.download("https://localhost:" + std::to_string(server.fake.port()) + "/cdn/x.mp3", ignore, 1000));
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, failure_kind::tls) << done.error().describe();
  EXPECT_TRUE(server.fake.requests().empty());
}

// ---- configuration ----

TEST(client, bad_base_urls_throw_clear_errors) {
  auto with = [](std::string api, std::string stream) {
    client_options options;
    options.api_key = test_key;
    options.api_base = std::move(api);
    options.stream_base = std::move(stream);
    return options;
  };
  auto make = [&](std::string api, std::string stream) { client built(with(std::move(api), std::move(stream))); };
  const std::string good = "https://api.sonauto.ai/v1";
  EXPECT_NO_THROW(make(good, "https://api-stream.sonauto.ai"));
  EXPECT_NO_THROW(make("http://[::1]:8080/v1/", "http://127.0.0.1:9"));
  EXPECT_THROW(make("api.sonauto.ai/v1", good), std::invalid_argument);
  EXPECT_THROW(make("ftp://api.sonauto.ai/v1", good), std::invalid_argument);
  EXPECT_THROW(make("https:///v1", good), std::invalid_argument);
  EXPECT_THROW(make(good, "https://user:pw@api-stream.sonauto.ai"), std::invalid_argument);
  EXPECT_THROW(make(good + "?x=1", good), std::invalid_argument);
  EXPECT_THROW(make(good, ""), std::invalid_argument);
  try {
    make("ftp://x/" + test_key, good);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("Sonauto API base URL"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(test_key), std::string::npos) << e.what();
  }
  auto bad_key = with(good, good);
  bad_key.api_key = "sksonauto_x\r\nX-Injected: 1";
  EXPECT_THROW(client{bad_key}, std::invalid_argument);
}

}  // namespace
}  // namespace serenade::sonauto
