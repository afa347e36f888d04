// Listeners that hang up in the middle of a file must not take the server down (sendfile to a closed
// socket raises SIGPIPE unless it is ignored).
#include "harness.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace serenade::testing {
namespace {

// Asks for the song, takes a few bytes, then resets the connection while the server is still sending.
void hang_up_mid_file(std::uint16_t port, const std::string& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int tiny = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  char some[1024];
  ASSERT_GT(::read(fd, some, sizeof some), 0);
  linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(fd);
}

TEST(hangup, listeners_leaving_mid_file_do_not_stop_the_server) {
  stack s({.song_seconds = 60, .speed = 30, .first_audio = 30});
  const auto session = s.submit("hangup");
  s.wait_for_state(session, is_complete, 30s);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1));
  for (int i = 0; i < 20; ++i) hang_up_mid_file(s.api_port(), "/api/stream/" + session);
  EXPECT_EQ(s.api("GET", "/healthz").status, 200u);
  EXPECT_TRUE(s.server().running()) << "the server died:\n" << s.server().log();
}

}  // namespace
}  // namespace serenade::testing
