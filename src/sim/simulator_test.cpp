#include "sim/simulator.hpp"

#include "sim/context.hpp"
#include "sim/task.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

using serenade::sim::simulator;
using serenade::sim::simulator_options;
using serenade::sim::song_seconds_for;

namespace {

void expect_refused(simulator_options options, const std::string& flag) {
  boost::asio::io_context io;
  options.listen = "127.0.0.1:0";
  simulator sim(io.get_executor(), options);
  try {
    sim.start();
    ADD_FAILURE() << "started with a bad " << flag;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
  }
}

simulator_options parse(const std::string& command_line) {
  CLI::App app;
  simulator_options options;
  serenade::sim::add_simulator_options(app, options);
  app.parse(command_line, false);
  return options;
}

}  // namespace

TEST(simulator_options, the_default_timeline_is_the_real_services) {
  const auto o = parse("");
  EXPECT_FALSE(o.song_seconds) << "each song has its own length";
  EXPECT_EQ(o.song_seconds_min, 120.0);
  EXPECT_EQ(o.song_seconds_max, 240.0);
  EXPECT_EQ(o.speed, 1.0);
  EXPECT_EQ(o.ready_after, 15.0);
}

TEST(simulator_options, fast_is_the_quick_timeline_of_old) {
  const auto o = parse("--fast");
  ASSERT_TRUE(o.song_seconds);
  EXPECT_EQ(*o.song_seconds, 60.0);
  EXPECT_EQ(o.speed, 2.0);
  EXPECT_EQ(o.ready_after, 3.0);
  EXPECT_EQ(o.first_audio, 2.0);
  EXPECT_EQ(o.finish_delay, 0.6);
  EXPECT_EQ(o.expire_after, 10.0);
  EXPECT_EQ(o.tick, 0.1);
  simulator_options in_code;
  serenade::sim::use_fast_timeline(in_code);
  EXPECT_EQ(in_code.song_seconds, o.song_seconds);
  EXPECT_EQ(in_code.speed, o.speed);
}

TEST(simulator_options, given_timeline_flags_override_fast_wherever_it_stands) {
  for (const auto* line : {"--fast --song-seconds 20 --speed 4 --ready-after 1 --first-audio 0.5",
                           "--song-seconds 20 --speed 4 --ready-after 1 --first-audio 0.5 --fast"}) {
    const auto o = parse(line);
    EXPECT_EQ(o.song_seconds, 20.0) << line;
    EXPECT_EQ(o.speed, 4.0) << line;
    EXPECT_EQ(o.ready_after, 1.0) << line;
    EXPECT_EQ(o.first_audio, 0.5) << line;
    EXPECT_EQ(o.tick, 0.1) << line;
  }
  // Without --fast an explicit length fixes every song's; the rest stays the real service's.
  const auto fixed = parse("--song-seconds 6");
  EXPECT_EQ(fixed.song_seconds, 6.0);
  EXPECT_EQ(fixed.ready_after, 15.0);
  EXPECT_EQ(song_seconds_for(fixed, "any task"), 6.0);
}

TEST(song_seconds_for, each_task_gets_its_own_whole_length_between_two_and_four_minutes) {
  const simulator_options o;
  std::set<double> lengths;
  for (int i = 0; i < 200; ++i) {
    const auto id = "task-" + std::to_string(i);
    const double seconds = song_seconds_for(o, id);
    EXPECT_GE(seconds, 120.0) << id;
    EXPECT_LE(seconds, 240.0) << id;
    EXPECT_EQ(seconds, static_cast<double>(static_cast<int>(seconds))) << id;
    EXPECT_EQ(song_seconds_for(o, id), seconds) << "chosen from the id alone";
    lengths.insert(seconds);
  }
  EXPECT_GT(lengths.size(), 50u);
  // A stable choice (FNV-1a of the id): the same on every run and build.
  EXPECT_EQ(song_seconds_for(o, "3f2b8c1e-0000-4000-8000-000000000000"),
            song_seconds_for(o, "3f2b8c1e-0000-4000-8000-000000000000"));
  simulator_options narrow;
  narrow.song_seconds_min = narrow.song_seconds_max = 150;
  EXPECT_EQ(song_seconds_for(narrow, "x"), 150.0);
}

TEST(simulator_options, a_song_length_out_of_range_is_refused) {
  simulator_options o;
  o.song_seconds = 1801;
  expect_refused(o, "--song-seconds");
  simulator_options inverted;
  inverted.song_seconds_min = 200;
  inverted.song_seconds_max = 100;
  expect_refused(inverted, "song lengths");
}

TEST(timeline_for, stream_end_expire_early_expires_the_stream_at_success) {
  simulator_options o;
  serenade::sim::task t;
  t.song_seconds = 30;
  serenade::sim::task_faults f;
  EXPECT_EQ(serenade::sim::timeline_for(o, t, f).expire_after, o.expire_after);
  f.stream_end = serenade::sim::stream_end_mode::close;
  EXPECT_EQ(serenade::sim::timeline_for(o, t, f).expire_after, o.expire_after);
  f.stream_end = serenade::sim::stream_end_mode::expire_early;
  const auto s = serenade::sim::timeline_for(o, t, f);
  EXPECT_EQ(s.expire_after, 0.0);
  EXPECT_EQ(s.song_seconds, 30.0);
  const auto at_success = serenade::sim::moment_at(s, serenade::sim::success_after(s));
  EXPECT_TRUE(at_success.expired);
  EXPECT_FALSE(at_success.stream_open);
}

TEST(context, status_429_every_refuses_every_nth_status_call_counted_from_when_it_is_set) {
  boost::asio::io_context io;
  simulator_options o;
  o.service.status_429_every = 3;
  serenade::sim::context ctx(io.get_executor(), o);
  std::string seen;
  for (int i = 0; i < 7; ++i) seen += ctx.take_status_429() ? 'x' : '.';
  EXPECT_EQ(seen, "..x..x.");
  // Set again: counted afresh.
  ASSERT_FALSE(ctx.change_service_faults(boost::json::object{{"status_429_every", 2}}));
  seen.clear();
  for (int i = 0; i < 4; ++i) seen += ctx.take_status_429() ? 'x' : '.';
  EXPECT_EQ(seen, ".x.x");
  ASSERT_FALSE(ctx.change_service_faults(boost::json::object{{"status_429_every", 0}}));
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(ctx.take_status_429());
  EXPECT_EQ(ctx.stats().at("status_429_every").to_number<int>(), 0);
}

TEST(simulator_options, an_unknown_piece_mode_is_refused) {
  simulator_options o;
  o.piece = "byte";
  expect_refused(o, "--piece");
}

TEST(simulator_options, a_tick_of_zero_is_refused) {
  simulator_options o;
  o.tick = 0;
  expect_refused(o, "--tick");
}
