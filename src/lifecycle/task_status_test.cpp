#include "lifecycle/task_status.hpp"

#include <gtest/gtest.h>

using namespace serenade::lifecycle;

TEST(task_status, ranks_follow_sonauto_order) {
  EXPECT_LT(status_rank("RECEIVED"), status_rank("PROMPT"));
  EXPECT_LT(status_rank("GENERATING"), status_rank("GENERATING_STREAMING_READY"));
  EXPECT_LT(status_rank("SAVING"), status_rank("SUCCESS"));
  EXPECT_EQ(status_rank("SUCCESS"), status_rank("FAILURE"));
  EXPECT_EQ(status_rank("SOMETHING_NEW"), -1);
}

TEST(task_status, stream_ready_from_streaming_ready_on_but_not_failure) {
  EXPECT_FALSE(is_stream_ready("GENERATING"));
  EXPECT_TRUE(is_stream_ready("GENERATING_STREAMING_READY"));
  EXPECT_TRUE(is_stream_ready("SAVING"));
  EXPECT_TRUE(is_stream_ready("SUCCESS"));
  EXPECT_FALSE(is_stream_ready("FAILURE"));
  EXPECT_FALSE(is_stream_ready("UNKNOWN"));
}

TEST(task_status, phases) {
  EXPECT_EQ(phase_of("PROMPT", false), "composing");
  EXPECT_EQ(phase_of("DECOMPRESSING", true), "streaming");
  EXPECT_EQ(phase_of("SUCCESS", true), "complete");
  EXPECT_EQ(phase_of("FAILURE", true), "failed");
}
