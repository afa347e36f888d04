// Three instances on one PostgreSQL database behind the shipped HAProxy config, restarted one after the other
// while a song plays and forms keep coming: no request fails at the front, and the listener hears the whole song.
#include "haproxy_front.hpp"
#include "harness.hpp"
#include "store/testing/postgres_database.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <optional>
#include <set>

namespace serenade::testing {
namespace {

// Statuses of `count` forms posted through the front, one after the other.
std::vector<unsigned> submit_through(std::uint16_t front, int count, const std::string& marker) {
  std::vector<unsigned> statuses;
  for (int i = 0; i < count; ++i) {
    try {
      const auto reply = request(front, "POST", "/api/submissions", {{"Content-Type", "application/json"}},
                                 form_json("Ana", "Ben", story_with(marker + std::to_string(i)), "acoustic ballad"));
      statuses.push_back(reply.status);
    } catch (const std::exception&) {
      statuses.push_back(0);  // no answer at all
    }
  }
  return statuses;
}

TEST(rolling_restart, no_request_fails_at_the_front_and_the_song_plays_to_its_end) {
  store::postgres_database db;
  const std::uint16_t ports[] = {free_loopback_port(), free_loopback_port(), free_loopback_port()};
  // Forms from the test's one address are not limited here: every one of them is a real song.
  const std::vector<std::string> common{"--database", db.url(), "--lease-seconds", "3", "--drain-seconds", "3",
                                        "--shutdown-grace", "2", "--webhook-token", test_webhook_token,
                                        "--trust-proxy", "--submit-burst", "0", "--client-daily-limit", "0",
                                        "--network-daily-limit", "0", "--max-streams-per-client", "0"};
  auto with_port = [&](std::uint16_t port) {
    auto args = common;
    args.insert(args.end(), {"--listen", loopback_address(port)});
    return args;
  };
  // The instance playing the song is stopped first, while it plays (found below); a song of a minute outlasts
  // that one restart on any machine. (The simulator encodes each song when it is ordered: a song of a minute keeps
  // fifty orders quick.)
  stack s({.song_seconds = 60, .speed = 1, .ready_after = 1, .expire_after = 120}, with_port(ports[0]));
  std::vector<stack::instance> others;
  others.push_back(s.start_instance("b", with_port(ports[1])));
  others.push_back(s.start_instance("c", with_port(ports[2])));
  const auto front = free_loopback_port();
  haproxy_front proxy(front, ports[0], ports[1], ports[2]);
  const char* servers[] = {"instance1", "instance2", "instance3"};
  proxy.wait_until_serving(front);
  const auto session = song_through(front, "rolling");
  auto player = std::async(std::launch::async, [&] { return play_through(front, session); });
  // The instance the player reached: it has a live listener, and relays from the owner (an edge connection) when
  // the owner is another instance, whose live listener is then that relay.
  std::optional<std::size_t> players;
  wait_until([&] {
    for (std::size_t i = 0; i < 3; ++i) {
      if (metric_at(ports[i], "serenade_listeners{state=\"live\"}") == 0) continue;
      if (!players || metric_at(ports[i], "serenade_edge_connections_total") > 0) players = i;
    }
    return players.has_value();
  }, [] { return std::string("the player reached no instance"); });
  std::vector<std::size_t> order{*players};
  for (std::size_t i = 0; i < 3; ++i) {
    if (i != *players) order.push_back(i);
  }

  // Fifty forms one after the other, while the instances restart one after the other.
  auto forms = std::async(std::launch::async, [&] { return submit_through(front, 50, "form-"); });
  for (const auto i : order) {
    const auto ups = proxy.times_up(servers[i]);
    if (i == 0) {
      ASSERT_EQ(s.server().terminate(30s), 0);
      s.start_server(with_port(ports[0]));
    } else {
      auto& instance = others[i - 1];
      ASSERT_EQ(instance.server->terminate(30s), 0);
      instance = s.start_instance(std::string(1, static_cast<char>('a' + i)) + "-again", with_port(ports[i]));
    }
    // The next instance stops only once the front sends requests to this one again (HAProxy logs each server
    // coming back up; servers start up without a line).
    wait_until([&] { return proxy.times_up(servers[i]) > ups; },
               [&] { return std::string(servers[i]) + " never came back up: " + proxy.proxy().log(); }, 30s);
  }
  const auto statuses = forms.get();
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    EXPECT_TRUE(statuses[i] == 201 || statuses[i] == 200 || statuses[i] == 429) << "form " << i << ": " << statuses[i];
  }
  EXPECT_GT(std::count(statuses.begin(), statuses.end(), 201u), 0) << "no form made a song";
  const auto heard = player.get();
  EXPECT_GE(heard.connections, 2) << "the player was never cut: nothing was tested";
  EXPECT_TRUE(s.is_whole_song(s.task_for("rolling"), heard.body))
      << heard.body.size() << " bytes after " << heard.connections << " connections";
  const auto done = wait_for_state_at(front, session, is_complete, 30s);
  EXPECT_EQ(done.at("status").as_string(), "SUCCESS");
}

}  // namespace
}  // namespace serenade::testing
