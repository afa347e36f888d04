#include "http/segment_plan.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace serenade::http {
namespace {

constexpr std::uint64_t loopback_segment = 65483;  // a 65536-byte MTU less IP and TCP headers with timestamps
constexpr std::uint64_t ethernet_segment = 1448;

std::uint64_t segments_for(std::uint64_t bytes, std::uint64_t segment) { return (bytes + segment - 1) / segment; }

// What the plan promises: the head and the lead fit in the first segment, the rest of the body is whole
// segments, and so the answer takes the fewest segments its bytes need.
void expect_fewest_segments(std::uint64_t head, std::uint64_t body, std::uint64_t segment) {
  SCOPED_TRACE(testing::Message() << "head " << head << " body " << body << " segment " << segment);
  const auto lead = lead_body_bytes(head, body, segment);
  ASSERT_LE(lead, body);
  EXPECT_LE(head + lead, segment);
  if (lead > 0) {
    EXPECT_EQ((body - lead) % segment, 0u);
  }
  EXPECT_EQ(1 + segments_for(body - lead, segment), segments_for(head + body, segment));
}

TEST(lead_body_bytes, a64_kib_range_on_loopback_sends_the_head_with_the_odd_bytes) {
  // 250 + 65536 = 65786 bytes: 303 go first (the head and 53 body bytes), then one full segment.
  EXPECT_EQ(lead_body_bytes(250, 65536, loopback_segment), 53u);
}

TEST(lead_body_bytes, an_answer_that_fits_in_one_segment_goes_whole) {
  EXPECT_EQ(lead_body_bytes(250, 1000, ethernet_segment), 1000u);
  EXPECT_EQ(lead_body_bytes(250, ethernet_segment - 250, ethernet_segment), ethernet_segment - 250);
}

TEST(lead_body_bytes, an_answer_of_whole_segments_fills_the_first_with_the_head) {
  EXPECT_EQ(lead_body_bytes(250, ethernet_segment * 3 - 250, ethernet_segment), ethernet_segment - 250);
}

TEST(lead_body_bytes, nothing_when_the_head_does_not_fit_beside_the_odd_bytes) {
  // 1448 * 3 + 100 = 4444 bytes in all: a 300-byte head cannot go in a 100-byte segment; the head alone
  // and then the body is 1 + 3 segments, already the fewest.
  EXPECT_EQ(lead_body_bytes(300, 4144, ethernet_segment), 0u);
}

TEST(lead_body_bytes, nothing_when_the_segment_size_is_unknown) { EXPECT_EQ(lead_body_bytes(250, 65536, 0), 0u); }

TEST(lead_body_bytes, every_answer_takes_the_fewest_segments) {
  for (const std::uint64_t segment : {std::uint64_t{536}, ethernet_segment, loopback_segment}) {
    for (const std::uint64_t head : {std::uint64_t{180}, std::uint64_t{320}}) {
      for (std::uint64_t body = 1; body < 4 * segment; body += 97) expect_fewest_segments(head, body, segment);
      for (const std::uint64_t body : {segment - head, segment * 2 - head, segment * 2 - head + 1, std::uint64_t{65536},
                                       std::uint64_t{4200000}}) {
        expect_fewest_segments(head, body, segment);
      }
    }
  }
}

}  // namespace
}  // namespace serenade::http
