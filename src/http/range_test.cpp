#include "http/range.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace serenade::http {
namespace {

constexpr std::uint64_t kb = 1000;

// Asserts a single range with exact bounds, naming the header in the failure.
void expect_single(std::string_view header, std::uint64_t length, std::uint64_t first, std::uint64_t last) {
  SCOPED_TRACE(header);
  const auto r = parse_range(header, length);
  ASSERT_EQ(r.kind, range_kind::single);
  EXPECT_EQ(r.range.first, first);
  EXPECT_EQ(r.range.last, last);
}

void expect_kind(std::string_view header, std::uint64_t length, range_kind kind) {
  SCOPED_TRACE(header);
  EXPECT_EQ(parse_range(header, length).kind, kind);
}

TEST(parse_range, no_header_is_none) {
  const auto r = parse_range(std::nullopt, kb);
  EXPECT_EQ(r.kind, range_kind::none);
  EXPECT_EQ(r.range.first, 0u);
  EXPECT_EQ(r.range.last, 0u);
}

TEST(parse_range, other_unit_is_none_not_invalid) {
  expect_kind("items=0-1", kb, range_kind::none);
  expect_kind("byte=0-1", kb, range_kind::none);
  expect_kind("bytesx=0-1", kb, range_kind::none);
}

TEST(parse_range, a_closed_range_is_taken_as_is) {
  expect_single("bytes=0-1", kb, 0, 1);
  expect_single("bytes=0-0", kb, 0, 0);
  expect_single("bytes=5-5", kb, 5, 5);
  expect_single("bytes=100-199", kb, 100, 199);
  expect_single("bytes=0-999", kb, 0, 999);
}

TEST(parse_range, open_ended_range) {
  expect_single("bytes=100-", kb, 100, 999);
  expect_single("bytes=900-", kb, 900, 999);
  expect_single("bytes=0-", kb, 0, 999);
  expect_single("bytes=999-", kb, 999, 999);  // the last byte alone
}

TEST(parse_range, a_suffix_range_counts_from_the_end) {
  expect_single("bytes=-500", kb, 500, 999);
  expect_single("bytes=-1", kb, 999, 999);
  expect_single("bytes=-1000", kb, 0, 999);
  expect_single("bytes=-999", kb, 1, 999);
  // A suffix larger than the file means the whole file.
  expect_single("bytes=-1001", kb, 0, 999);
  expect_single("bytes=-5000000", kb, 0, 999);
  expect_single("bytes=-5", 3, 0, 2);
}

TEST(parse_range, last_beyond_end_is_clamped) {
  expect_single("bytes=0-1000", kb, 0, 999);
  expect_single("bytes=998-5000", kb, 998, 999);
  expect_single("bytes=999-999", kb, 999, 999);
  expect_single("bytes=0-9999999999999999999", kb, 0, 999);  // 19 digits still parses
}

TEST(parse_range, first_at_or_beyond_end_is_unsatisfiable) {
  expect_kind("bytes=1000-", kb, range_kind::unsatisfiable);  // one past the end
  expect_kind("bytes=1000-1000", kb, range_kind::unsatisfiable);
  expect_kind("bytes=1001-2000", kb, range_kind::unsatisfiable);
  expect_kind("bytes=999-", kb, range_kind::single);  // boundary: the last byte is fine
}

TEST(parse_range, zero_suffix_is_unsatisfiable) {
  expect_kind("bytes=-0", kb, range_kind::unsatisfiable);
  expect_kind("bytes=-000", kb, range_kind::unsatisfiable);
}

TEST(parse_range, zero_length_file_satisfies_nothing) {
  expect_kind("bytes=0-", 0, range_kind::unsatisfiable);
  expect_kind("bytes=0-0", 0, range_kind::unsatisfiable);
  expect_kind("bytes=-1", 0, range_kind::unsatisfiable);
  expect_kind("bytes=-500", 0, range_kind::unsatisfiable);
  expect_kind("bytes=0-1,-5", 0, range_kind::unsatisfiable);
  // Syntax still matters on an empty file, and absence is still none.
  expect_kind("bytes=a-", 0, range_kind::invalid);
  EXPECT_EQ(parse_range(std::nullopt, 0).kind, range_kind::none);
}

TEST(parse_range, unsatisfiable_carries_no_range) {
  const auto r = parse_range("bytes=2000-3000", kb);
  EXPECT_EQ(r.kind, range_kind::unsatisfiable);
  EXPECT_EQ(r.range.first, 0u);
  EXPECT_EQ(r.range.last, 0u);
}

TEST(parse_range, reversed_range_is_invalid) {
  expect_kind("bytes=5-3", kb, range_kind::invalid);
  expect_kind("bytes=1-0", kb, range_kind::invalid);
  // Reversed beyond the end is still a syntax error, not unsatisfiable.
  expect_kind("bytes=3000-2000", kb, range_kind::invalid);
}

TEST(parse_range, junk_is_invalid) {
  for (std::string_view junk : {"bytes=1-2-3", "bytes=a-b", "bytes=", "bytes=,", "bytes= , ,", "bytes=1",
                                "bytes=-", "bytes=--1", "bytes=1--2", "bytes=+1-2", "bytes=1-+2", "bytes=0x10-",
                                "bytes=1 -2", "bytes=1- 2", "bytes=1-2;3-4", "bytes=0-1,junk", "bytes=junk,0-1",
                                "bytes", "=0-1", "", "   ", "bytes=0-1=", "bytes=-1.5", "bytes=1e3-"}) {
    expect_kind(junk, kb, range_kind::invalid);
  }
}

TEST(parse_range, overlong_numbers_are_invalid_not_wrapped) {
  // 2^64 would wrap to 0 with naive parsing and select the first byte.
  expect_kind("bytes=18446744073709551616-", kb, range_kind::invalid);
  expect_kind("bytes=0-18446744073709551616", kb, range_kind::invalid);
  expect_kind("bytes=-18446744073709551616", kb, range_kind::invalid);
  expect_kind("bytes=10000000000000000000-", kb, range_kind::invalid);  // 20 digits
  expect_kind("bytes=00000000000000000001-", kb, range_kind::invalid);  // 20 digits even if small
  expect_kind("bytes=-99999999999999999999999999", kb, range_kind::invalid);
  // 19 digits is the largest accepted width.
  expect_kind("bytes=9999999999999999999-", kb, range_kind::unsatisfiable);
  expect_single("bytes=-9999999999999999999", kb, 0, 999);
}

TEST(parse_range, tolerates_whitespace_around_equals_and_commas) {
  expect_single("bytes = 0-1", kb, 0, 1);
  expect_single(" bytes=0-1 ", kb, 0, 1);
  expect_single("bytes=\t0-1\t", kb, 0, 1);
  expect_kind("bytes=0-1 , 5-6", kb, range_kind::multiple);
  expect_kind("bytes=0-1,\t5-6", kb, range_kind::multiple);
}

TEST(parse_range, unit_is_case_insensitive) {
  expect_single("BYTES=0-1", kb, 0, 1);
  expect_single("Bytes=0-1", kb, 0, 1);
  expect_single("bYtEs=-2", kb, 998, 999);
}

TEST(parse_range, several_ranges_are_multiple) {
  const auto r = parse_range("bytes=0-1,5-6", kb);
  EXPECT_EQ(r.kind, range_kind::multiple);
  EXPECT_EQ(r.range.first, 0u);
  EXPECT_EQ(r.range.last, 0u);
  expect_kind("bytes=0-1,0-1", kb, range_kind::multiple);
  expect_kind("bytes=-5,0-", kb, range_kind::multiple);
}

TEST(parse_range, only_one_satisfiable_among_several_is_single) {
  expect_single("bytes=0-1,2000-3000", kb, 0, 1);
  expect_single("bytes=2000-3000,5-6", kb, 5, 6);
  expect_single("bytes=-0,1000-,10-", kb, 10, 999);
  expect_kind("bytes=1000-,2000-,-0", kb, range_kind::unsatisfiable);
}

TEST(parse_range, empty_list_elements_are_ignored) {
  expect_single("bytes=0-1,", kb, 0, 1);
  expect_single("bytes=,0-1", kb, 0, 1);
  expect_single("bytes=0-1, ,", kb, 0, 1);
}

TEST(parse_range, one_bad_spec_voids_the_whole_header) {
  expect_kind("bytes=0-1,5-3", kb, range_kind::invalid);
  expect_kind("bytes=0-1,x", kb, range_kind::invalid);
}

TEST(content_range, formats_range_and_length) {
  EXPECT_EQ(content_range({0, 1}, 1000), "bytes 0-1/1000");
  EXPECT_EQ(content_range({500, 999}, 1000), "bytes 500-999/1000");
  EXPECT_EQ(content_range({0, 0}, 1), "bytes 0-0/1");
  EXPECT_EQ(content_range({18446744073709551614u, 18446744073709551614u}, 18446744073709551615u),
            "bytes 18446744073709551614-18446744073709551614/18446744073709551615");
}

TEST(content_range, unsatisfied_names_only_the_length) {
  EXPECT_EQ(unsatisfied_content_range(1000), "bytes */1000");
  EXPECT_EQ(unsatisfied_content_range(0), "bytes */0");
}

}  // namespace
}  // namespace serenade::http
