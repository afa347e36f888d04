// Three instances on one PostgreSQL database behind the shipped HAProxy config, and the instance that owns a song
// killed (kill -9) while it plays: another takes the song over within the lease, every listener through the front
// hears the whole song, the archived copy is the final one, and status events elsewhere follow it to its end.
#include "haproxy_front.hpp"
#include "harness.hpp"
#include "sse.hpp"
#include "store/pg_store.hpp"
#include "store/testing/postgres_database.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>

namespace serenade::testing {
namespace {

TEST(failover, the_owner_killed_behind_haproxy_leaves_every_listener_the_whole_song) {
  store::postgres_database db;
  const std::uint16_t ports[] = {free_loopback_port(), free_loopback_port(), free_loopback_port()};
  const std::vector<std::string> common{"--database", db.url(), "--lease-seconds", "3", "--webhook-token",
                                        test_webhook_token, "--trust-proxy"};
  // One archive folder for all, as a shared file system: the final copy any instance stores is the one every
  // instance serves. Each captures in a folder of its own.
  struct removed_at_end {
    std::string path = make_temp_dir();
    ~removed_at_end() { std::filesystem::remove_all(path); }
  } scratch;
  const auto& folders = scratch.path;
  auto with_port = [&](std::uint16_t port) {
    auto args = common;
    args.insert(args.end(), {"--listen", loopback_address(port), "--archive-dir", folders + "/archive",
                             "--capture-dir", folders + "/captures-" + std::to_string(port)});
    return args;
  };
  stack s({.song_seconds = 30, .speed = 1, .ready_after = 1, .expire_after = 120}, with_port(ports[0]));
  auto second = s.start_instance("b", with_port(ports[1]));
  auto third = s.start_instance("c", with_port(ports[2]));
  process* servers[] = {&s.server(), second.server.get(), third.server.get()};
  const std::string names[] = {"instance1", "instance2", "instance3"};
  const auto front = free_loopback_port();
  haproxy_front proxy(front, ports[0], ports[1], ports[2]);
  proxy.wait_until_serving(front);
  const auto session = song_through(front, "failover");
  const auto owner_url = store::pg_store(db.url(), 1).find(session)->owner_url.value_or("");
  std::size_t owner = 3;
  for (std::size_t i = 0; i < 3; ++i) {
    if (owner_url == "http://" + loopback_address(ports[i])) owner = i;
  }
  ASSERT_LT(owner, 3u) << "owned at " << owner_url;
  const auto elsewhere = ports[(owner + 1) % 3];

  stream_reader events(elsewhere, "/api/submissions/" + session + "/events", 90s);
  sse_reader states(events);
  ASSERT_TRUE(states.next());
  auto player = std::async(std::launch::async, [&] { return play_through(front, session); });
  wait_until([&] {
    for (const auto port : ports) {
      if (metric_at(port, "serenade_listeners{state=\"live\"}") > 0) return true;
    }
    return false;
  }, [] { return std::string("the player reached no instance"); });

  servers[owner]->kill_now();
  // Once the checks have taken the dead instance out, a listener who comes now through the front hears it all.
  wait_until([&] { return proxy.seen_down(names[owner]); },
             [&] { return "HAProxy never saw the owner down: " + proxy.proxy().log(); }, 30s);
  stream_reader late(front, "/api/stream/" + session, 90s);
  ASSERT_EQ(late.status(), 200u);
  const auto task = s.task_for("failover");
  const auto& late_body = late.read_to_end();
  EXPECT_TRUE(s.is_whole_song(task, late_body)) << late_body.size() << " bytes heard by the late one";
  const auto heard = player.get();
  EXPECT_TRUE(s.is_whole_song(task, heard.body))
      << heard.body.size() << " bytes heard by the player after " << heard.connections << " connections";

  std::uint64_t taken_over = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    if (i != owner) taken_over += metric_at(ports[i], "serenade_songs_taken_over_total");
  }
  EXPECT_EQ(taken_over, 1u);
  EXPECT_EQ(s.sim("GET", "/_sim/tasks/" + task).json().at("stream_connections_total").as_int64(), 2)
      << "one Sonauto connection by the owner, then one by the instance that took over";
  const auto rest = states.until_finished();
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back().phase(), "complete");
  wait_until([&] { return request(front, "GET", "/api/stream/" + session).body == s.simulator_final(task); },
             [] { return std::string("the final copy is not what the front serves"); }, 30s);
}

}  // namespace
}  // namespace serenade::testing
