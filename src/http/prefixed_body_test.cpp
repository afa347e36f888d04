#include "http/prefixed_body.hpp"

#include <gtest/gtest.h>

namespace serenade::http {
namespace {

TEST(prefixed_body, the_whole_body_is_the_whole_prefix_then_the_whole_run) {
  const auto slice = slice_prefixed_body(100, 0, 1100);
  EXPECT_EQ(slice.prefix_offset, 0u);
  EXPECT_EQ(slice.prefix_length, 100u);
  EXPECT_EQ(slice.file_offset, 0u);
  EXPECT_EQ(slice.file_length, 1000u);
}

TEST(prefixed_body, a_range_inside_the_prefix_touches_no_file) {
  const auto slice = slice_prefixed_body(100, 10, 20);
  EXPECT_EQ(slice.prefix_offset, 10u);
  EXPECT_EQ(slice.prefix_length, 20u);
  EXPECT_EQ(slice.file_length, 0u);
}

TEST(prefixed_body, a_range_across_the_seam_takes_both) {
  const auto slice = slice_prefixed_body(100, 90, 30);
  EXPECT_EQ(slice.prefix_offset, 90u);
  EXPECT_EQ(slice.prefix_length, 10u);
  EXPECT_EQ(slice.file_offset, 0u);
  EXPECT_EQ(slice.file_length, 20u);
}

TEST(prefixed_body, a_range_after_the_prefix_is_the_run_alone) {
  const auto slice = slice_prefixed_body(100, 150, 50);
  EXPECT_EQ(slice.prefix_length, 0u);
  EXPECT_EQ(slice.file_offset, 50u);
  EXPECT_EQ(slice.file_length, 50u);
  const auto at_seam = slice_prefixed_body(100, 100, 1);
  EXPECT_EQ(at_seam.prefix_length, 0u);
  EXPECT_EQ(at_seam.file_offset, 0u);
  EXPECT_EQ(at_seam.file_length, 1u);
}

TEST(prefixed_body, an_empty_prefix_is_the_file) {
  const auto slice = slice_prefixed_body(0, 7, 3);
  EXPECT_EQ(slice.prefix_length, 0u);
  EXPECT_EQ(slice.file_offset, 7u);
  EXPECT_EQ(slice.file_length, 3u);
}

}  // namespace
}  // namespace serenade::http
