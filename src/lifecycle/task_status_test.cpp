#include "lifecycle/task_status.hpp"

#include <gtest/gtest.h>

using namespace serenade::lifecycle;

TEST(task_status, ranks_follow_sonauto_order) {
  EXPECT_EQ(status_rank(task_status::received), 0);
  EXPECT_LT(status_rank(task_status::received), status_rank(task_status::prompt));
  EXPECT_LT(status_rank(task_status::generating), status_rank(task_status::generating_streaming_ready));
  EXPECT_LT(status_rank(task_status::saving), status_rank(task_status::success));
  EXPECT_EQ(status_rank(task_status::success), status_rank(task_status::failure));
  EXPECT_EQ(status_rank(task_status::unknown), -1);
}

TEST(task_status, stream_ready_from_streaming_ready_on_but_not_failure) {
  EXPECT_FALSE(is_stream_ready(task_status::generating));
  EXPECT_TRUE(is_stream_ready(task_status::generating_streaming_ready));
  EXPECT_TRUE(is_stream_ready(task_status::saving));
  EXPECT_TRUE(is_stream_ready(task_status::success));
  EXPECT_FALSE(is_stream_ready(task_status::failure));
  EXPECT_FALSE(is_stream_ready(task_status::unknown));
}

TEST(task_status, finished_only_at_success_or_failure) {
  EXPECT_TRUE(is_finished(task_status::success));
  EXPECT_TRUE(is_finished(task_status::failure));
  EXPECT_FALSE(is_finished(task_status::saving));
  EXPECT_FALSE(is_finished(task_status::unknown));
}

TEST(task_status, stages_follow_sonautos_order) {
  EXPECT_EQ(stage_of(task_status::received, false), "lyrics");
  EXPECT_EQ(stage_of(task_status::prompt, false), "lyrics");
  EXPECT_EQ(stage_of(task_status::task_sent, false), "compose");
  EXPECT_EQ(stage_of(task_status::generating, false), "compose");
  EXPECT_EQ(stage_of(task_status::generating_streaming_ready, true), "start");
  EXPECT_EQ(stage_of(task_status::saving, true), "finish");
  EXPECT_EQ(stage_of(task_status::success, true), "done");
  EXPECT_EQ(stage_of(task_status::failure, false), "failed");
  EXPECT_EQ(stage_of(task_status::unknown, false), "lyrics");
  EXPECT_EQ(stage_of(task_status::unknown, true), "start");
}

TEST(task_status, each_status_maps_to_its_phase) {
  EXPECT_EQ(phase_of(task_status::prompt, false), "composing");
  EXPECT_EQ(phase_of(task_status::decompressing, true), "streaming");
  EXPECT_EQ(phase_of(task_status::success, true), "complete");
  EXPECT_EQ(phase_of(task_status::failure, true), "failed");
}

TEST(task_status, stored_text_round_trips) {
  EXPECT_EQ(stored_text(task_status::received), "RECEIVED");
  EXPECT_EQ(stored_status(stored_text(task_status::failure)), task_status::failure);
  EXPECT_EQ(stored_status("SOMETHING_NEW"), task_status::unknown);
  EXPECT_TRUE(is_finished(std::string_view(stored_text(task_status::success))));
}
