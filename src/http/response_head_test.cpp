#include "http/response_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace serenade::http {
namespace {

TEST(response_head, status_line_server_headers_and_length) {
  std::string out;
  body_framing framing;
  framing.content_length = 100;
  write_response_head(out, 206, {{"Content-Type", "audio/mpeg"}, {"Content-Range", "bytes 0-99/1000"}}, framing);
  EXPECT_EQ(out,
            "HTTP/1.1 206 Partial Content\r\nServer: serenade\r\nX-Content-Type-Options: nosniff\r\nContent-Type: audio/mpeg\r\n"
            "Content-Range: bytes 0-99/1000\r\nContent-Length: 100\r\n\r\n");
}

TEST(response_head, the_server_owns_the_framing_headers) {
  std::string out;
  body_framing framing;
  framing.content_length = 5;
  framing.close = true;
  write_response_head(out, 200,
                      {{"content-length", "999"}, {"Transfer-Encoding", "gzip"}, {"Connection", "keep-alive"},
                       {"X-A", "1"}},
                      framing);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nServer: serenade\r\nX-Content-Type-Options: nosniff\r\nX-A: 1\r\nConnection: close\r\nContent-Length: 5\r\n\r\n");
}

TEST(response_head, chunked_has_no_length_and_keep_alive_no_connection_header) {
  std::string out;
  body_framing framing;
  framing.chunked = true;
  framing.content_length = 7;  // ignored: chunked wins
  write_response_head(out, 200, {{"Connection", "keep-alive"}}, framing);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nServer: serenade\r\nX-Content-Type-Options: nosniff\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(response_head, without_length_there_is_no_content_length_line) {
  std::string out;
  write_response_head(out, 304, {{"ETag", "\"x\""}}, body_framing{});
  EXPECT_EQ(out, "HTTP/1.1 304 Not Modified\r\nServer: serenade\r\nX-Content-Type-Options: nosniff\r\nETag: \"x\"\r\n\r\n");
}

TEST(response_head, a_later_header_of_the_same_name_wins) {
  std::string out;
  write_response_head(out, 200, {{"X-Mode", "a"}, {"X-Other", "b"}, {"x-mode", "c"}}, body_framing{});
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nServer: serenade\r\nX-Content-Type-Options: nosniff\r\nX-Other: b\r\nx-mode: c\r\n\r\n");
}

TEST(response_head, a_handlers_server_header_replaces_ours) {
  std::string out;
  write_response_head(out, 404, {{"Server", "simulator"}}, body_framing{});
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nX-Content-Type-Options: nosniff\r\nServer: simulator\r\n\r\n");
}

TEST(response_head, a_handlers_own_sniffing_header_is_not_doubled) {
  std::string out;
  write_response_head(out, 204, {{"x-content-type-options", "nosniff"}}, body_framing{});
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nServer: serenade\r\nx-content-type-options: nosniff\r\n\r\n");
}

TEST(response_head, replaces_what_the_buffer_held_and_keeps_its_capacity) {
  std::string out(4096, 'x');
  const auto capacity = out.capacity();
  body_framing framing;
  framing.content_length = 0;
  write_response_head(out, 500, {}, framing);
  EXPECT_EQ(out, "HTTP/1.1 500 Internal Server Error\r\nServer: serenade\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(out.capacity(), capacity);
}

TEST(response_head, unknown_status_has_an_empty_reason) {
  std::string out;
  write_response_head(out, 299, {}, body_framing{});
  EXPECT_TRUE(out.starts_with("HTTP/1.1 299 ")) << out;
}

TEST(status_allows_body, not_for_informational_no_content_or_not_modified) {
  EXPECT_FALSE(status_allows_body(100));
  EXPECT_FALSE(status_allows_body(204));
  EXPECT_FALSE(status_allows_body(304));
  EXPECT_TRUE(status_allows_body(200));
  EXPECT_TRUE(status_allows_body(206));
  EXPECT_TRUE(status_allows_body(416));
}

}  // namespace
}  // namespace serenade::http
