#include "http/response_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace serenade::http {
namespace {

TEST(ResponseHead, StatusLineServerHeadersAndLength) {
  std::string out;
  body_framing framing;
  framing.content_length = 100;
  write_response_head(out, 206, {{"Content-Type", "audio/mpeg"}, {"Content-Range", "bytes 0-99/1000"}}, framing);
  EXPECT_EQ(out,
            "HTTP/1.1 206 Partial Content\r\nServer: serenade\r\nContent-Type: audio/mpeg\r\n"
            "Content-Range: bytes 0-99/1000\r\nContent-Length: 100\r\n\r\n");
}

TEST(ResponseHead, TheServerOwnsTheFramingHeaders) {
  std::string out;
  body_framing framing;
  framing.content_length = 5;
  framing.close = true;
  write_response_head(out, 200,
                      {{"content-length", "999"}, {"Transfer-Encoding", "gzip"}, {"Connection", "keep-alive"},
                       {"X-A", "1"}},
                      framing);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nServer: serenade\r\nX-A: 1\r\nConnection: close\r\nContent-Length: 5\r\n\r\n");
}

TEST(ResponseHead, ChunkedHasNoLengthAndKeepAliveNoConnectionHeader) {
  std::string out;
  body_framing framing;
  framing.chunked = true;
  framing.content_length = 7;  // ignored: chunked wins
  write_response_head(out, 200, {{"Connection", "keep-alive"}}, framing);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nServer: serenade\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(ResponseHead, WithoutLengthThereIsNoContentLengthLine) {
  std::string out;
  write_response_head(out, 304, {{"ETag", "\"x\""}}, body_framing{});
  EXPECT_EQ(out, "HTTP/1.1 304 Not Modified\r\nServer: serenade\r\nETag: \"x\"\r\n\r\n");
}

TEST(ResponseHead, ALaterHeaderOfTheSameNameWins) {
  std::string out;
  write_response_head(out, 200, {{"X-Mode", "a"}, {"X-Other", "b"}, {"x-mode", "c"}}, body_framing{});
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nServer: serenade\r\nX-Other: b\r\nx-mode: c\r\n\r\n");
}

TEST(ResponseHead, AHandlersServerHeaderReplacesOurs) {
  std::string out;
  write_response_head(out, 404, {{"Server", "simulator"}}, body_framing{});
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nServer: simulator\r\n\r\n");
}

TEST(ResponseHead, ReplacesWhatTheBufferHeldAndKeepsItsCapacity) {
  std::string out(4096, 'x');
  const auto capacity = out.capacity();
  body_framing framing;
  framing.content_length = 0;
  write_response_head(out, 500, {}, framing);
  EXPECT_EQ(out, "HTTP/1.1 500 Internal Server Error\r\nServer: serenade\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(out.capacity(), capacity);
}

TEST(ResponseHead, UnknownStatusHasAnEmptyReason) {
  std::string out;
  write_response_head(out, 299, {}, body_framing{});
  EXPECT_TRUE(out.starts_with("HTTP/1.1 299 ")) << out;
}

TEST(StatusAllowsBody, NotForInformationalNoContentOrNotModified) {
  EXPECT_FALSE(status_allows_body(100));
  EXPECT_FALSE(status_allows_body(204));
  EXPECT_FALSE(status_allows_body(304));
  EXPECT_TRUE(status_allows_body(200));
  EXPECT_TRUE(status_allows_body(206));
  EXPECT_TRUE(status_allows_body(416));
}

}  // namespace
}  // namespace serenade::http
