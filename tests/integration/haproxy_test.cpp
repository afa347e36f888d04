// The shipped deploy/haproxy.cfg in front of Serenade instances, with the real HAProxy 2.6: it routes requests to
// healthy instances, and an instance that begins its drain (SIGTERM, --drain-seconds) is taken out by the /readyz
// health check while a listener it serves goes on hearing the song.
#include "haproxy_front.hpp"
#include "harness.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <set>
#include <string>

namespace serenade::testing {
namespace {

TEST(haproxy, the_shipped_config_routes_to_ready_instances_and_takes_a_draining_one_out) {
  stack first({.song_seconds = 120, .speed = 1}, {"--drain-seconds", "600", "--shutdown-grace", "1"});
  stack second;
  const auto front = free_loopback_port();
  // The third instance is a port nobody listens on: a lost machine, which the checks must keep out.
  haproxy_front proxy(front, first.api_port(), second.api_port(), free_loopback_port());
  // Both instances answer through the front (requests without a song round-robin).
  proxy.wait_until_serving(front);

  auto listener = listen_live(first, first.submit("through-the-front"));
  begin_shutdown(first.server());
  // While the first instance drains, the checks mark it down: then every request through the front is ready.
  int ready_in_a_row = 0;
  wait_until(
      [&] {
        ready_in_a_row = readiness_through(front) == 200 ? ready_in_a_row + 1 : 0;
        return ready_in_a_row >= 10;
      },
      [&] { return "the draining instance still gets requests; HAProxy's log: " + proxy.proxy().log(); }, 30s);
  EXPECT_NE(proxy.proxy().log().find("instance1 is DOWN"), std::string::npos) << proxy.proxy().log();
  const auto before = listener.read_at_least(1).size();
  EXPECT_GT(listener.read_at_least(before + 1).size(), before) << "the draining instance stopped serving";
  EXPECT_EQ(first.server().log().find("event=shutdown_servers_stopping"), std::string::npos);
  EXPECT_EQ(first.server().terminate(30s), 0);
}

// Instances with databases of their own: only the routing can make a form sent again reach the instance that has
// its song. Twenty copies sent at once with one Idempotency-Key make one song.
TEST(haproxy, repeats_of_one_form_reach_one_instance_and_make_one_song) {
  stack first;
  stack second;
  const auto front = free_loopback_port();
  haproxy_front proxy(front, first.api_port(), second.api_port(), free_loopback_port());
  proxy.wait_until_serving(front);
  const auto form = form_json("Ana", "Ben", story_with("sent-twenty-times"), "acoustic ballad");
  std::vector<std::future<http_reply>> sent;
  for (int i = 0; i < 20; ++i) {
    sent.push_back(std::async(std::launch::async, [&] {
      return request(front, "POST", "/api/submissions",
                     {{"Content-Type", "application/json"}, {"Idempotency-Key", "one-form-one-song"}}, form);
    }));
  }
  std::set<std::string> sessions;
  for (auto& f : sent) {
    const auto reply = f.get();
    ASSERT_TRUE(reply.status == 201 || reply.status == 200) << reply.status << " " << reply.body;
    sessions.insert(std::string(reply.json().at("session_id").as_string()));
  }
  EXPECT_EQ(sessions.size(), 1u);
  const auto songs = first.sim("GET", "/_sim/tasks").json().as_array().size() +
                     second.sim("GET", "/_sim/tasks").json().as_array().size();
  EXPECT_EQ(songs, 1u) << "a repeat made another paid song";
}

}  // namespace
}  // namespace serenade::testing
