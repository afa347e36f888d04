#include "live/upstream_end.hpp"

#include <gtest/gtest.h>

using serenade::live::connection_end;
using serenade::live::end_verdict;
using serenade::live::judge_connection_end;
using serenade::sonauto::task_status;

namespace {

connection_end cut(bool captured_any, std::optional<task_status> status) {
  return {.refused = false, .refusal_status = 0, .captured_any = captured_any, .within_ready_grace = false,
          .upstream_status = status};
}

connection_end refused(unsigned code, bool captured_any, bool within_grace, std::optional<task_status> status) {
  return {.refused = true, .refusal_status = code, .captured_any = captured_any, .within_ready_grace = within_grace,
          .upstream_status = status};
}

}  // namespace

TEST(upstream_end, a_cut_while_generating_reconnects) {
  EXPECT_EQ(judge_connection_end(cut(true, task_status::generating_streaming_ready)), end_verdict::retry);
  EXPECT_EQ(judge_connection_end(cut(true, std::nullopt)), end_verdict::retry);
}

TEST(upstream_end, a_cut_once_generation_is_over_ends_the_song) {
  EXPECT_EQ(judge_connection_end(cut(true, task_status::success)), end_verdict::complete);
  EXPECT_EQ(judge_connection_end(cut(true, task_status::decompressing)), end_verdict::complete);
  EXPECT_EQ(judge_connection_end(cut(true, task_status::saving)), end_verdict::complete);
}

TEST(upstream_end, a_cut_before_any_byte_is_never_a_song) {
  EXPECT_EQ(judge_connection_end(cut(false, task_status::success)), end_verdict::retry);
}

TEST(upstream_end, failure_abandons_whatever_happened) {
  EXPECT_EQ(judge_connection_end(cut(true, task_status::failure)), end_verdict::abandon);
  EXPECT_EQ(judge_connection_end(refused(400, false, true, task_status::failure)), end_verdict::abandon);
}

TEST(upstream_end, not_ready_just_after_readiness_is_waited_for) {
  EXPECT_EQ(judge_connection_end(refused(400, false, true, task_status::generating_streaming_ready)),
            end_verdict::retry);
  EXPECT_EQ(judge_connection_end(refused(404, false, true, std::nullopt)), end_verdict::retry);
}

TEST(upstream_end, not_ready_past_the_grace_or_after_bytes_is_final) {
  EXPECT_EQ(judge_connection_end(refused(400, false, false, task_status::generating_streaming_ready)),
            end_verdict::abandon);
  EXPECT_EQ(judge_connection_end(refused(400, true, true, task_status::generating_streaming_ready)),
            end_verdict::abandon);
  EXPECT_EQ(judge_connection_end(refused(401, false, true, std::nullopt)), end_verdict::abandon);
}

TEST(upstream_end, expiry_after_the_song_was_generated_keeps_the_capture) {
  EXPECT_EQ(judge_connection_end(refused(404, true, false, task_status::success)), end_verdict::complete);
  EXPECT_EQ(judge_connection_end(refused(404, true, false, task_status::saving)), end_verdict::complete);
  // Gone while Sonauto still generates, or with no status to tell: the capture is not a whole song.
  EXPECT_EQ(judge_connection_end(refused(404, true, false, task_status::generating_streaming_ready)),
            end_verdict::abandon);
  EXPECT_EQ(judge_connection_end(refused(404, true, false, std::nullopt)), end_verdict::abandon);
}

TEST(upstream_end, transient_refusals_are_retried) {
  for (unsigned code : {408u, 429u, 500u, 502u, 503u}) {
    EXPECT_EQ(judge_connection_end(refused(code, true, false, task_status::generating_streaming_ready)),
              end_verdict::retry)
        << code;
  }
}
