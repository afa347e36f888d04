// The harness's own parsing, without starting any process.
#include "harness.hpp"

#include <gtest/gtest.h>

namespace serenade::testing {
namespace {

constexpr const char* page =
    "# HELP serenade_finalisations_total Final copies.\n"
    "# TYPE serenade_finalisations_total counter\n"
    "serenade_finalisations_total{outcome=\"ok\"} 3\n"
    "serenade_finalisations_total{outcome=\"failed\"} 12\n"
    "serenade_capture_bytes_total 70001\n"
    "serenade_capture_bytes_total_extra 5\n";

TEST(harness, metric_value_reads_a_series_with_labels) {
  EXPECT_EQ(metric_value(page, "serenade_finalisations_total{outcome=\"ok\"}"), 3u);
  EXPECT_EQ(metric_value(page, "serenade_finalisations_total{outcome=\"failed\"}"), 12u);
}

TEST(harness, metric_value_matches_the_whole_name_only) {
  EXPECT_EQ(metric_value(page, "serenade_capture_bytes_total"), 70001u);
  EXPECT_EQ(metric_value(page, "serenade_capture_bytes"), std::nullopt);
  EXPECT_EQ(metric_value(page, "serenade_finalisations_total"), std::nullopt) << "a name without its labels";
}

TEST(harness, wait_until_returns_once_the_condition_holds_and_throws_past_the_deadline) {
  int polls = 0;
  wait_until([&] { return ++polls == 3; }, [] { return std::string("three polls"); });
  EXPECT_EQ(polls, 3);
  EXPECT_THROW(wait_until([] { return false; }, [] { return std::string("never"); }, 50ms), std::runtime_error);
}

}  // namespace
}  // namespace serenade::testing
