// A listener whose socket accepts no bytes for the write timeout is closed, logged and counted, and the
// song goes on for everyone else.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace serenade::testing {
namespace {

// A client that asks for the stream and then never reads: a tiny receive buffer makes the server's writes
// stop making progress quickly.
int stalled_client(std::uint16_t port, const std::string& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int tiny = 2048;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return -1;
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
  if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) return -1;
  return fd;
}

TEST(stall, a_listener_that_accepts_nothing_is_closed_after_the_write_timeout) {
  stack s({.song_seconds = 300, .speed = 30, .first_audio = 60}, {"--write-timeout", "1"});
  const auto session = s.submit("stalled");
  s.wait_for_state(session, is_stream_ready);
  const int fd = stalled_client(s.api_port(), "/api/stream/" + session);
  ASSERT_GE(fd, 0);
  s.wait_for_metric("serenade_stalled_listeners_closed_total", exactly(1));
  ::close(fd);
  // Others still hear the song.
  stream_reader other(s.api_port(), "/api/stream/" + session);
  EXPECT_EQ(other.status(), 200u);
  EXPECT_GE(other.read_at_least(256 * 1024).size(), 256u * 1024);
}

}  // namespace
}  // namespace serenade::testing
