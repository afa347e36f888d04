#include "sim/timeline.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace serenade::sim {
namespace {

// Values chosen so the interesting instants are exact in binary floating point:
//   ready at 10, audio grows 2 s per s from 5 s, all 95 s generated at 10 + 90/2 = 55,
//   DECOMPRESSING from 55, SAVING from 57, SUCCESS at 59, live stream expires at 59 + 60 = 119.
constexpr timeline_settings settings{95.0, 2.0, 10.0, 5.0, 4.0, 60.0};

std::string status_at(double elapsed, std::optional<std::string_view> fail_at = {}) {
  return std::string(moment_at(settings, elapsed, fail_at).status);
}

TEST(timeline, success_after_is_ready_then_remaining_audio_then_finish) {
  EXPECT_DOUBLE_EQ(success_after(settings), 59.0);
  EXPECT_DOUBLE_EQ(success_after({60.0, 1.0, 5.0, 10.0, 2.0, 30.0}), 5.0 + 50.0 + 2.0);
  EXPECT_DOUBLE_EQ(success_after({60.0, 4.0, 0.0, 0.0, 0.0, 30.0}), 15.0);
  // First audio already longer than the song: nothing remains to generate.
  EXPECT_DOUBLE_EQ(success_after({3.0, 1.0, 5.0, 10.0, 2.0, 30.0}), 7.0);
}

TEST(timeline, status_is_received_at_creation) {
  const moment m = moment_at(settings, 0.0);
  EXPECT_EQ(m.status, "RECEIVED");
  EXPECT_EQ(m.audio_seconds, 0.0);
  EXPECT_FALSE(m.stream_open);
  EXPECT_FALSE(m.expired);
  EXPECT_FALSE(m.succeeded);
}

TEST(timeline, early_states_follow_sonauto_order) {
  // Shares of ready_after (10 s): PROMPT 1.5, TASK_SENT 3.5, GENERATE_TASK_STARTED 5, BEGINNING_GENERATION 6.5,
  // GENERATING 8.
  EXPECT_EQ(status_at(1.0), "RECEIVED");
  EXPECT_EQ(status_at(1.4), "RECEIVED");
  EXPECT_EQ(status_at(1.6), "PROMPT");
  EXPECT_EQ(status_at(3.4), "PROMPT");
  EXPECT_EQ(status_at(3.6), "TASK_SENT");
  EXPECT_EQ(status_at(4.9), "TASK_SENT");
  EXPECT_EQ(status_at(5.1), "GENERATE_TASK_STARTED");
  EXPECT_EQ(status_at(6.4), "GENERATE_TASK_STARTED");
  EXPECT_EQ(status_at(6.6), "BEGINNING_GENERATION");
  EXPECT_EQ(status_at(7.9), "BEGINNING_GENERATION");
  EXPECT_EQ(status_at(8.1), "GENERATING");
  EXPECT_EQ(status_at(9.999), "GENERATING");
}

TEST(timeline, nothing_is_playable_before_ready) {
  for (double t : {0.0, 2.0, 5.0, 8.0, 9.999}) {
    const moment m = moment_at(settings, t);
    EXPECT_EQ(m.audio_seconds, 0.0) << t;
    EXPECT_FALSE(m.stream_open) << t;
    EXPECT_FALSE(m.expired) << t;
    EXPECT_FALSE(m.succeeded) << t;
  }
}

TEST(timeline, streaming_is_ready_at_ready_after) {
  const moment m = moment_at(settings, 10.0);
  EXPECT_EQ(m.status, "GENERATING_STREAMING_READY");
  EXPECT_DOUBLE_EQ(m.audio_seconds, 5.0);
  EXPECT_TRUE(m.stream_open);
  EXPECT_FALSE(m.expired);
  EXPECT_FALSE(m.succeeded);
}

TEST(timeline, a_ready_race_keeps_the_stream_closed_for_a_while_after_the_status_says_ready) {
  timeline_settings racing = settings;
  racing.stream_delay = 3.0;
  for (double t : {10.0, 11.5, 12.999}) {
    const moment m = moment_at(racing, t);
    EXPECT_EQ(m.status, "GENERATING_STREAMING_READY") << t;
    EXPECT_GT(m.audio_seconds, 0.0) << t;
    EXPECT_FALSE(m.stream_open) << t;
  }
  EXPECT_TRUE(moment_at(racing, 13.0).stream_open);
  EXPECT_EQ(next_change_after(racing, 10.0), next_change_after(settings, 10.0)) << "the statuses are unchanged";
  // Longer than the whole generation: the stream opens after SUCCESS, until its expiry.
  racing.stream_delay = 55.0;
  EXPECT_FALSE(moment_at(racing, 60.0).stream_open);
  EXPECT_TRUE(moment_at(racing, 65.0).stream_open);
  EXPECT_FALSE(moment_at(racing, 119.0).stream_open);
}

TEST(timeline, audio_grows_at_speed) {
  EXPECT_DOUBLE_EQ(moment_at(settings, 11.0).audio_seconds, 7.0);
  EXPECT_DOUBLE_EQ(moment_at(settings, 20.0).audio_seconds, 25.0);
  EXPECT_DOUBLE_EQ(moment_at(settings, 40.5).audio_seconds, 66.0);
  EXPECT_DOUBLE_EQ(moment_at(settings, 54.0).audio_seconds, 93.0);
  EXPECT_EQ(status_at(54.0), "GENERATING_STREAMING_READY");
  EXPECT_DOUBLE_EQ(moment_at(settings, 55.0).audio_seconds, 95.0);
}

TEST(timeline, audio_never_exceeds_the_song) {
  for (double t = 0.0; t <= 400.0; t += 0.25) {
    const moment m = moment_at(settings, t);
    EXPECT_LE(m.audio_seconds, 95.0) << t;
    EXPECT_GE(m.audio_seconds, 0.0) << t;
  }
  EXPECT_DOUBLE_EQ(moment_at(settings, 56.0).audio_seconds, 95.0);
  EXPECT_DOUBLE_EQ(moment_at(settings, 59.0).audio_seconds, 95.0);
  EXPECT_DOUBLE_EQ(moment_at(settings, 1000.0).audio_seconds, 95.0);
  // A first chunk longer than the whole song is cut to the song.
  constexpr timeline_settings short_song{3.0, 1.0, 5.0, 10.0, 2.0, 30.0};
  EXPECT_DOUBLE_EQ(moment_at(short_song, 5.0).audio_seconds, 3.0);
}

TEST(timeline, audio_never_decreases) {
  double previous = 0.0;
  for (double t = 0.0; t <= 200.0; t += 0.5) {
    const double now = moment_at(settings, t).audio_seconds;
    EXPECT_GE(now, previous) << t;
    previous = now;
  }
}

TEST(timeline, generation_ends_decompressing_then_saving_then_success) {
  EXPECT_EQ(status_at(54.9), "GENERATING_STREAMING_READY");
  EXPECT_EQ(status_at(55.0), "DECOMPRESSING");
  EXPECT_EQ(status_at(56.9), "DECOMPRESSING");
  EXPECT_EQ(status_at(57.0), "SAVING");
  EXPECT_EQ(status_at(58.9), "SAVING");
  EXPECT_EQ(status_at(59.0), "SUCCESS");
  for (double t : {55.0, 57.0}) {
    const moment m = moment_at(settings, t);
    EXPECT_TRUE(m.stream_open) << t;
    EXPECT_FALSE(m.succeeded) << t;
    EXPECT_FALSE(m.expired) << t;
  }
}

TEST(timeline, success_comes_at_success_after) {
  const moment m = moment_at(settings, success_after(settings));
  EXPECT_EQ(m.status, "SUCCESS");
  EXPECT_TRUE(m.succeeded);
  EXPECT_TRUE(m.stream_open);
  EXPECT_FALSE(m.expired);
  EXPECT_DOUBLE_EQ(m.audio_seconds, 95.0);
  EXPECT_FALSE(moment_at(settings, 58.999).succeeded);
}

TEST(timeline, stream_stays_open_until_expiry) {
  const moment before = moment_at(settings, 118.9);
  EXPECT_EQ(before.status, "SUCCESS");
  EXPECT_TRUE(before.stream_open);
  EXPECT_FALSE(before.expired);
  EXPECT_TRUE(before.succeeded);

  const moment at = moment_at(settings, 119.0);
  EXPECT_EQ(at.status, "SUCCESS");
  EXPECT_FALSE(at.stream_open);
  EXPECT_TRUE(at.expired);
  EXPECT_TRUE(at.succeeded);
  EXPECT_DOUBLE_EQ(at.audio_seconds, 95.0);

  const moment long_after = moment_at(settings, 10000.0);
  EXPECT_EQ(long_after.status, "SUCCESS");
  EXPECT_FALSE(long_after.stream_open);
  EXPECT_TRUE(long_after.expired);
}

TEST(timeline, zero_finish_delay_goes_straight_to_success) {
  constexpr timeline_settings s{20.0, 1.0, 2.0, 4.0, 0.0, 10.0};  // audio done = success = 18
  EXPECT_DOUBLE_EQ(success_after(s), 18.0);
  EXPECT_EQ(moment_at(s, 17.9).status, "GENERATING_STREAMING_READY");
  EXPECT_EQ(moment_at(s, 18.0).status, "SUCCESS");
  EXPECT_TRUE(moment_at(s, 27.9).stream_open);
  EXPECT_TRUE(moment_at(s, 28.0).expired);
}

TEST(timeline, statuses_never_go_backwards) {
  constexpr std::string_view order[] = {"RECEIVED",   "PROMPT",   "TASK_SENT", "GENERATE_TASK_STARTED",
                                        "BEGINNING_GENERATION", "GENERATING", "GENERATING_STREAMING_READY",
                                        "DECOMPRESSING", "SAVING", "SUCCESS"};
  const auto rank = [&](std::string_view status) {
    for (int i = 0; i < 10; ++i) {
      if (order[i] == status) return i;
    }
    return -1;
  };
  int previous = 0;
  int seen = 0;
  for (double t = 0.0; t <= 130.0; t += 0.1) {
    const int now = rank(moment_at(settings, t).status);
    ASSERT_GE(now, 0) << t;
    EXPECT_GE(now, previous) << t;
    if (now != previous) ++seen;
    previous = now;
  }
  EXPECT_EQ(previous, 9);
  EXPECT_EQ(seen, 9);  // every state visited, one step at a time
}

TEST(timeline, fail_at_early_state_fails_from_then_on) {
  // TASK_SENT begins at 3.5 s.
  EXPECT_EQ(status_at(0.0, "TASK_SENT"), "RECEIVED");
  EXPECT_EQ(status_at(2.0, "TASK_SENT"), "PROMPT");
  EXPECT_EQ(status_at(3.4, "TASK_SENT"), "PROMPT");
  for (double t : {3.6, 6.0, 9.0, 10.0, 30.0, 57.0, 59.0, 200.0}) {
    const moment m = moment_at(settings, t, "TASK_SENT");
    EXPECT_EQ(m.status, "FAILURE") << t;
    EXPECT_EQ(m.audio_seconds, 0.0) << t;
    EXPECT_FALSE(m.stream_open) << t;
    EXPECT_FALSE(m.succeeded) << t;
    EXPECT_TRUE(m.expired) << t;
  }
}

TEST(timeline, fail_at_received_fails_immediately) {
  EXPECT_EQ(status_at(0.0, "RECEIVED"), "FAILURE");
  EXPECT_EQ(status_at(100.0, "RECEIVED"), "FAILURE");
}

TEST(timeline, fail_at_streaming_ready_fails_without_opening_the_stream) {
  EXPECT_EQ(status_at(9.9, "GENERATING_STREAMING_READY"), "GENERATING");
  EXPECT_EQ(moment_at(settings, 9.9, "GENERATING_STREAMING_READY").audio_seconds, 0.0);
  const moment m = moment_at(settings, 10.0, "GENERATING_STREAMING_READY");
  EXPECT_EQ(m.status, "FAILURE");
  EXPECT_FALSE(m.stream_open);
  EXPECT_EQ(m.audio_seconds, 0.0);
  EXPECT_EQ(status_at(59.0, "GENERATING_STREAMING_READY"), "FAILURE");
}

TEST(timeline, fail_at_saving_leaves_streaming_alone) {
  const moment streaming = moment_at(settings, 30.0, "SAVING");
  EXPECT_EQ(streaming.status, "GENERATING_STREAMING_READY");
  EXPECT_TRUE(streaming.stream_open);
  EXPECT_DOUBLE_EQ(streaming.audio_seconds, 45.0);
  EXPECT_EQ(status_at(56.0, "SAVING"), "DECOMPRESSING");
  EXPECT_EQ(status_at(57.0, "SAVING"), "FAILURE");
  EXPECT_EQ(status_at(59.0, "SAVING"), "FAILURE");
  EXPECT_EQ(status_at(500.0, "SAVING"), "FAILURE");
}

TEST(timeline, fail_at_success_fails_instead_of_succeeding) {
  EXPECT_EQ(status_at(58.9, "SUCCESS"), "SAVING");
  const moment m = moment_at(settings, 59.0, "SUCCESS");
  EXPECT_EQ(m.status, "FAILURE");
  EXPECT_FALSE(m.succeeded);
  EXPECT_FALSE(m.stream_open);
}

TEST(timeline, unknown_fail_at_never_fails) {
  for (double t : {0.0, 5.0, 10.0, 56.0, 59.0, 200.0}) {
    EXPECT_EQ(status_at(t, "NO_SUCH_STATE"), status_at(t)) << t;
    EXPECT_NE(status_at(t, "NO_SUCH_STATE"), "FAILURE") << t;
  }
}

TEST(timeline, no_fail_at_is_the_default) {
  for (double t : {0.0, 5.0, 10.0, 56.0, 59.0, 200.0}) {
    const moment a = moment_at(settings, t);
    const moment b = moment_at(settings, t, std::nullopt);
    EXPECT_EQ(a.status, b.status) << t;
    EXPECT_EQ(a.audio_seconds, b.audio_seconds) << t;
  }
}

// ------------------------------------------------------------------------------------------- fault switches

TEST(timeline, never_ready_stops_at_generating) {
  timeline_settings s = settings;
  s.never_ready = true;
  EXPECT_EQ(moment_at(s, 0.0).status, "RECEIVED");
  EXPECT_EQ(moment_at(s, 3.6).status, "TASK_SENT");
  EXPECT_EQ(moment_at(s, 8.1).status, "GENERATING");
  for (double t : {9.999, 10.0, 30.0, 59.0, 119.0, 100000.0}) {
    const moment m = moment_at(s, t);
    EXPECT_EQ(m.status, "GENERATING") << t;
    EXPECT_EQ(m.audio_seconds, 0.0) << t;
    EXPECT_FALSE(m.stream_open) << t;
    EXPECT_FALSE(m.expired) << t;
    EXPECT_FALSE(m.succeeded) << t;
    EXPECT_FALSE(m.cdn_available) << t;
  }
}

TEST(timeline, never_ready_with_zero_ready_after_is_generating_at_once) {
  timeline_settings s = settings;
  s.ready_after = 0.0;
  s.never_ready = true;
  EXPECT_EQ(moment_at(s, 0.0).status, "GENERATING");
  EXPECT_EQ(moment_at(s, 500.0).status, "GENERATING");
}

TEST(timeline, never_ready_still_fails_at_an_early_state) {
  timeline_settings s = settings;
  s.never_ready = true;
  EXPECT_EQ(moment_at(s, 3.4, "TASK_SENT").status, "PROMPT");
  EXPECT_EQ(moment_at(s, 3.6, "TASK_SENT").status, "FAILURE");
  EXPECT_EQ(moment_at(s, 8.1, "GENERATING").status, "FAILURE");
  // States after GENERATING are never reached, so failing there never happens.
  EXPECT_EQ(moment_at(s, 200.0, "GENERATING_STREAMING_READY").status, "GENERATING");
  EXPECT_EQ(moment_at(s, 200.0, "SUCCESS").status, "GENERATING");
}

TEST(timeline, zero_expire_after_closes_the_stream_at_success) {
  timeline_settings s = settings;
  s.expire_after = 0.0;
  const moment saving = moment_at(s, 58.9);
  EXPECT_EQ(saving.status, "SAVING");
  EXPECT_TRUE(saving.stream_open);
  const moment done = moment_at(s, 59.0);
  EXPECT_EQ(done.status, "SUCCESS");
  EXPECT_TRUE(done.succeeded);
  EXPECT_TRUE(done.expired);
  EXPECT_FALSE(done.stream_open);
  EXPECT_TRUE(done.cdn_available);
}

TEST(timeline, cdn_is_available_from_success_for_its_lifetime) {
  timeline_settings s = settings;
  s.cdn_lifetime = 5.0;  // deleted at 59 + 5 = 64
  for (double t : {0.0, 10.0, 55.0, 58.9}) EXPECT_FALSE(moment_at(s, t).cdn_available) << t;
  EXPECT_TRUE(moment_at(s, 59.0).cdn_available);
  EXPECT_TRUE(moment_at(s, 63.9).cdn_available);
  const moment gone = moment_at(s, 64.0);
  EXPECT_FALSE(gone.cdn_available);
  EXPECT_EQ(gone.status, "SUCCESS");  // the result still says SUCCESS; only the file is gone
  EXPECT_TRUE(gone.succeeded);
  EXPECT_FALSE(moment_at(s, 1000.0).cdn_available);
}

TEST(timeline, cdn_lifetime_zero_means_gone_at_success) {
  timeline_settings s = settings;
  s.cdn_lifetime = 0.0;
  EXPECT_FALSE(moment_at(s, 59.0).cdn_available);
  EXPECT_TRUE(moment_at(s, 59.0).succeeded);
}

TEST(timeline, cdn_is_kept_for_sonautos_week_by_default) {
  EXPECT_DOUBLE_EQ(settings.cdn_lifetime, 168 * 3600.0);
  EXPECT_TRUE(moment_at(settings, 59.0 + 168 * 3600.0 - 1).cdn_available);
  EXPECT_FALSE(moment_at(settings, 59.0 + 168 * 3600.0).cdn_available);
  // The CDN copy outlives the live stream.
  EXPECT_TRUE(moment_at(settings, 119.0).expired);
  EXPECT_TRUE(moment_at(settings, 119.0).cdn_available);
}

TEST(timeline, failure_has_no_cdn_copy) {
  for (double t : {10.0, 59.0, 200.0}) EXPECT_FALSE(moment_at(settings, t, "GENERATING").cdn_available) << t;
  EXPECT_FALSE(moment_at(settings, 59.0, "SUCCESS").cdn_available);
}

// ------------------------------------------------------------------------------------- next_change_after

// Every status a task passes through, by following next_change_after from creation.
std::vector<std::pair<double, std::string>> walk(const timeline_settings& s,
                                                 std::optional<std::string_view> fail_at = {}) {
  std::vector<std::pair<double, std::string>> out{{0.0, std::string(moment_at(s, 0.0, fail_at).status)}};
  double at = 0.0;
  while (auto next = next_change_after(s, at, fail_at)) {
    if (out.size() > 20) break;  // a loop would be a bug; the assertions below show it
    at = *next;
    out.emplace_back(at, std::string(moment_at(s, at, fail_at).status));
  }
  return out;
}

TEST(timeline, next_change_walks_every_status_at_its_instant) {
  const std::vector<std::pair<double, std::string>> expected{
      {0.0, "RECEIVED"},
      {1.5, "PROMPT"},
      {3.5, "TASK_SENT"},
      {5.0, "GENERATE_TASK_STARTED"},
      {6.5, "BEGINNING_GENERATION"},
      {8.0, "GENERATING"},
      {10.0, "GENERATING_STREAMING_READY"},
      {55.0, "DECOMPRESSING"},
      {57.0, "SAVING"},
      {59.0, "SUCCESS"},
  };
  const auto statuses = walk(settings);
  ASSERT_EQ(statuses.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(statuses[i].second, expected[i].second) << i;
    EXPECT_DOUBLE_EQ(statuses[i].first, expected[i].first) << i;  // shares of ready_after may round
  }
}

TEST(timeline, next_change_is_found_from_any_moment_in_between) {
  EXPECT_DOUBLE_EQ(*next_change_after(settings, 0.0), 1.5);
  EXPECT_DOUBLE_EQ(*next_change_after(settings, 1.4999), 1.5);
  EXPECT_DOUBLE_EQ(*next_change_after(settings, 1.5), 3.5);  // strictly after: the change at 1.5 has happened
  EXPECT_EQ(next_change_after(settings, 9.0), 10.0);
  EXPECT_EQ(next_change_after(settings, 10.0), 55.0);
  EXPECT_EQ(next_change_after(settings, 30.0), 55.0);
  EXPECT_EQ(next_change_after(settings, 56.0), 57.0);
  EXPECT_EQ(next_change_after(settings, 58.99), 59.0);
  // SUCCESS is final: the live stream's expiry and the CDN deletion change no status.
  EXPECT_EQ(next_change_after(settings, 59.0), std::nullopt);
  EXPECT_EQ(next_change_after(settings, 119.5), std::nullopt);
  EXPECT_EQ(next_change_after(settings, 1e9), std::nullopt);
}

TEST(timeline, next_change_is_where_the_status_actually_changes) {
  // Sampled finely, the status is constant up to each change and different from it on.
  for (double t = 0.0; t < 70.0; t += 0.05) {
    const auto next = next_change_after(settings, t);
    if (t >= 59.0) {
      EXPECT_FALSE(next) << t;
      continue;
    }
    ASSERT_TRUE(next) << t;
    EXPECT_GT(*next, t);
    const auto before = moment_at(settings, t).status;
    EXPECT_EQ(moment_at(settings, (t + *next) / 2).status, before) << t;
    EXPECT_EQ(moment_at(settings, std::nextafter(*next, 0.0)).status, before) << t;
    EXPECT_NE(moment_at(settings, *next).status, before) << t;
  }
}

TEST(timeline, next_change_skips_statuses_that_last_no_time) {
  // No finish delay: DECOMPRESSING and SAVING last no time, the task goes straight to SUCCESS at 18.
  constexpr timeline_settings s{20.0, 1.0, 2.0, 4.0, 0.0, 10.0};
  EXPECT_EQ(next_change_after(s, 2.0), 18.0);
  EXPECT_EQ(moment_at(s, 18.0).status, "SUCCESS");
  EXPECT_EQ(next_change_after(s, 18.0), std::nullopt);
  // Ready at once: streaming-ready from creation on, no early state at all.
  timeline_settings at_once = settings;
  at_once.ready_after = 0.0;
  const auto statuses = walk(at_once);
  ASSERT_EQ(statuses.size(), 4u);
  EXPECT_EQ(statuses[0], (std::pair<double, std::string>{0.0, "GENERATING_STREAMING_READY"}));
  EXPECT_EQ(statuses[3].second, "SUCCESS");
}

TEST(timeline, next_change_of_a_never_ready_task_ends_at_generating) {
  timeline_settings s = settings;
  s.never_ready = true;
  EXPECT_DOUBLE_EQ(*next_change_after(s, 7.9), 8.0);
  EXPECT_EQ(next_change_after(s, 8.5), std::nullopt);
  EXPECT_EQ(next_change_after(s, 100.0), std::nullopt);
  EXPECT_EQ(walk(s).back().second, "GENERATING");
  EXPECT_DOUBLE_EQ(walk(s).back().first, 8.0);
}

TEST(timeline, next_change_with_fail_at_ends_at_failure) {
  const auto fails_at = next_change_after(settings, 7.0, "GENERATING");
  ASSERT_TRUE(fails_at);
  EXPECT_DOUBLE_EQ(*fails_at, 8.0);
  EXPECT_EQ(moment_at(settings, *fails_at, "GENERATING").status, "FAILURE");
  EXPECT_EQ(next_change_after(settings, *fails_at, "GENERATING"), std::nullopt);
  // The failing state itself is never reported: the status before it is followed by FAILURE.
  const auto statuses = walk(settings, "DECOMPRESSING");
  ASSERT_EQ(statuses.size(), 8u);
  EXPECT_EQ(statuses[6], (std::pair<double, std::string>{10.0, "GENERATING_STREAMING_READY"}));
  EXPECT_EQ(statuses[7], (std::pair<double, std::string>{55.0, "FAILURE"}));
  // Failing at RECEIVED: FAILURE from creation, nothing ever changes.
  EXPECT_EQ(next_change_after(settings, 0.0, "RECEIVED"), std::nullopt);
  // Failing at a state a never-ready task never reaches: it ends at GENERATING.
  timeline_settings never = settings;
  never.never_ready = true;
  EXPECT_EQ(walk(never, "SAVING").back().second, "GENERATING");
}

}  // namespace
}  // namespace serenade::sim
