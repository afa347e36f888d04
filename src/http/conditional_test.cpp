#include "http/conditional.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace serenade::http {
namespace {

constexpr std::int64_t rfc_example = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

std::optional<std::string> header_of(const file_answer& a, std::string_view name) {
  for (const auto& [key, value] : a.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

const file_identity song{"\"abc123\"", rfc_example, 1000};

request get(header_list headers = {}, std::string method = "GET") {
  request r;
  r.method = std::move(method);
  r.target = r.path = "/songs/1.mp3";
  r.headers = std::move(headers);
  return r;
}

file_answer answer(const request& r, const file_identity& id = song) {
  return answer_for_file(r, id, "audio/mpeg", "public, max-age=31536000, immutable");
}

// ---- dates ----

TEST(http_date, formats_imf_fixdate) {
  EXPECT_EQ(http_date(rfc_example), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http_date(1700000000), "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(http_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(http_date(951868800), "Wed, 01 Mar 2000 00:00:00 GMT");
  EXPECT_EQ(http_date(1078012800), "Sun, 29 Feb 2004 00:00:00 GMT");
  EXPECT_EQ(http_date(4107542400), "Mon, 01 Mar 2100 00:00:00 GMT");  // 2100 is not a leap year
  EXPECT_EQ(http_date(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(http_date, formats_before_epoch) {
  EXPECT_EQ(http_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(http_date(-31536000), "Wed, 01 Jan 1969 00:00:00 GMT");
}

TEST(parse_http_date, accepts_the_three_formats) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), rfc_example);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), rfc_example);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), rfc_example);
  EXPECT_EQ(parse_http_date("Sun Nov 06 08:49:37 1994"), rfc_example);  // 2DIGIT day is also allowed
}

TEST(parse_http_date, rfc850_two_digit_year_pivot) {
  EXPECT_EQ(parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT"), 0);
  EXPECT_EQ(parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT"), 946684800);
  EXPECT_EQ(parse_http_date("Tuesday, 31-Dec-69 23:59:59 GMT"), 3155759999);  // 2069
}

TEST(parse_http_date, round_trips) {
  for (std::int64_t t : {std::int64_t{0}, rfc_example, std::int64_t{951782400}, std::int64_t{1700000000},
                         std::int64_t{2147483647}, std::int64_t{4107542399}, std::int64_t{253402300799}}) {
    SCOPED_TRACE(t);
    EXPECT_EQ(parse_http_date(http_date(t)), t);
  }
}

TEST(parse_http_date, tolerates_surrounding_whitespace) {
  EXPECT_EQ(parse_http_date("  Sun, 06 Nov 1994 08:49:37 GMT\t"), rfc_example);
}

TEST(parse_http_date, leap_second_rolls_into_next_minute) {
  EXPECT_EQ(parse_http_date("Fri, 31 Dec 1999 23:59:60 GMT"), 946684800);
}

TEST(parse_http_date, rejects_malformed_and_out_of_range_dates) {
  for (std::string_view bad : {"", "GMT", "yesterday", "1994-11-06T08:49:37Z", "784111777",
                               "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37",
                               "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT",
                               "sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT",
                               "Sun,  06 Nov 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
                               "Sun, 31 Nov 1994 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
                               "Mon, 29 Feb 1900 00:00:00 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
                               "Sun, 06 Nov 1994 08:60:37 GMT", "Sun, 06 Nov 1994 08:49:61 GMT",
                               "Sun, 06 Nov 1994 08-49-37 GMT", "Sun, 06 Nov 1994 8:49:37  GMT",
                               "Sun, 06 Nov 19a4 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMTX",
                               "Sun, 06 Nov 1994 +8:49:37 GMT", "Sun, 0x Nov 1994 08:49:37 GMT",
                               "Sun, 06 Nov 1994 08:49:37 GMT, 07 Nov 1994 08:49:37 GMT",
                               "Sunday, 06-Nov-1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 UTC",
                               "Sundae, 06-Nov-94 08:49:37 GMT", "Sunday 06-Nov-94 08:49:37 GMT",
                               "Sunday, 06 Nov 94 08:49:37 GMT", "Sun Nov  6 08:49:37 94",
                               "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 1994 GMT", "Sun Nov    08:49:37 1994",
                               "Sun Nov 31 08:49:37 1994", "Sun Nox  6 08:49:37 1994"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(parse_http_date(bad), std::nullopt);
  }
}

TEST(parse_http_date, accepts_leap_day_only_in_leap_years) {
  EXPECT_EQ(parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"), 951782400);
  EXPECT_EQ(parse_http_date("Sun, 29 Feb 2004 00:00:00 GMT"), 1078012800);
  EXPECT_EQ(parse_http_date("Thu, 29 Feb 2001 00:00:00 GMT"), std::nullopt);
}

// ---- If-None-Match ----

TEST(if_none_match, absent_never_hits) { EXPECT_FALSE(if_none_match_hits(std::nullopt, "\"abc\"")); }

TEST(if_none_match, star_hits) {
  EXPECT_TRUE(if_none_match_hits("*", "\"abc\""));
  EXPECT_TRUE(if_none_match_hits(" * ", "\"abc\""));
}

TEST(if_none_match, exact_tag_hits) {
  EXPECT_TRUE(if_none_match_hits("\"abc\"", "\"abc\""));
  EXPECT_FALSE(if_none_match_hits("\"abd\"", "\"abc\""));
  EXPECT_FALSE(if_none_match_hits("\"ABC\"", "\"abc\""));  // opaque tags are case-sensitive
  EXPECT_FALSE(if_none_match_hits("\"abc\"", "\"abcd\""));
}

TEST(if_none_match, searches_the_list) {
  EXPECT_TRUE(if_none_match_hits("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(if_none_match_hits("\"x\",\"y\",\"abc\"", "\"abc\""));
  EXPECT_TRUE(if_none_match_hits("\"abc\" ,\t\"y\"", "\"abc\""));
  EXPECT_FALSE(if_none_match_hits("\"x\", \"y\"", "\"abc\""));
  EXPECT_TRUE(if_none_match_hits("\"a,b\", \"abc\"", "\"abc\""));  // a comma inside a tag is not a separator
  EXPECT_TRUE(if_none_match_hits("\"a,b\"", "\"a,b\""));
  EXPECT_TRUE(if_none_match_hits(", \"abc\",", "\"abc\""));  // empty list elements
}

TEST(if_none_match, compares_weakly) {
  EXPECT_TRUE(if_none_match_hits("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(if_none_match_hits("\"x\", W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(if_none_match_hits("\"abc\"", "W/\"abc\""));
  EXPECT_TRUE(if_none_match_hits("W/\"abc\"", "W/\"abc\""));
  EXPECT_FALSE(if_none_match_hits("w/\"abc\"", "\"abc\""));  // the W/ prefix is case-sensitive
}

TEST(if_none_match, malformed_field_never_hits) {
  for (std::string_view bad : {"", "abc", "\"abc", "\"abc\" junk", "\"abc\"\"x\"", "W/abc", "\"abc\", *",
                               "**", "\"abc\" \"x\""}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(if_none_match_hits(bad, "\"abc\""));
  }
}

// ---- If-Range ----

TEST(if_range, absent_allows) { EXPECT_TRUE(if_range_allows(std::nullopt, song)); }

TEST(if_range, matching_strong_etag_allows) {
  EXPECT_TRUE(if_range_allows("\"abc123\"", song));
  EXPECT_TRUE(if_range_allows(" \"abc123\" ", song));
}

TEST(if_range, stale_etag_refuses) {
  EXPECT_FALSE(if_range_allows("\"abc124\"", song));
  EXPECT_FALSE(if_range_allows("\"abc12\"", song));
  EXPECT_FALSE(if_range_allows("\"\"", song));
}

TEST(if_range, weak_etag_never_matches) {
  EXPECT_FALSE(if_range_allows("W/\"abc123\"", song));
  const file_identity weak{"W/\"abc123\"", rfc_example, 1000};
  EXPECT_FALSE(if_range_allows("W/\"abc123\"", weak));
  EXPECT_FALSE(if_range_allows("\"abc123\"", weak));
}

TEST(if_range, exact_date_allows) {
  EXPECT_TRUE(if_range_allows("Sun, 06 Nov 1994 08:49:37 GMT", song));
  EXPECT_TRUE(if_range_allows("Sunday, 06-Nov-94 08:49:37 GMT", song));
  EXPECT_TRUE(if_range_allows("Sun Nov  6 08:49:37 1994", song));
}

TEST(if_range, other_dates_refuse) {
  EXPECT_FALSE(if_range_allows("Sun, 06 Nov 1994 08:49:36 GMT", song));  // older
  EXPECT_FALSE(if_range_allows("Sun, 06 Nov 1994 08:49:38 GMT", song));  // newer: still not "equal"
}

TEST(if_range, garbage_refuses) {
  EXPECT_FALSE(if_range_allows("", song));
  EXPECT_FALSE(if_range_allows("abc123", song));
  EXPECT_FALSE(if_range_allows("784111777", song));
}

// ---- the whole decision ----

TEST(answer_for_file, plain_get_is_whole_file_with_all_headers) {
  const auto a = answer(get());
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(a.offset, 0u);
  EXPECT_EQ(a.length, 1000u);
  const header_list expected = {
      {"Content-Type", "audio/mpeg"},
      {"Content-Length", "1000"},
      {"Accept-Ranges", "bytes"},
      {"ETag", "\"abc123\""},
      {"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"},
      {"Cache-Control", "public, max-age=31536000, immutable"},
  };
  EXPECT_EQ(a.headers, expected);
}

TEST(answer_for_file, first_two_bytes) {
  const auto a = answer(get({{"Range", "bytes=0-1"}}));
  EXPECT_EQ(a.status, 206u);
  EXPECT_EQ(a.offset, 0u);
  EXPECT_EQ(a.length, 2u);
  EXPECT_EQ(header_of(a, "Content-Range"), "bytes 0-1/1000");
  EXPECT_EQ(header_of(a, "Content-Length"), "2");
  EXPECT_EQ(header_of(a, "Content-Type"), "audio/mpeg");
  EXPECT_EQ(header_of(a, "Accept-Ranges"), "bytes");
  EXPECT_EQ(header_of(a, "ETag"), "\"abc123\"");
  EXPECT_EQ(header_of(a, "Last-Modified"), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(header_of(a, "Cache-Control"), "public, max-age=31536000, immutable");
}

TEST(answer_for_file, a_suffix_range_is_206_with_the_tail) {
  const auto a = answer(get({{"Range", "bytes=-500"}}));
  EXPECT_EQ(a.status, 206u);
  EXPECT_EQ(a.offset, 500u);
  EXPECT_EQ(a.length, 500u);
  EXPECT_EQ(header_of(a, "Content-Range"), "bytes 500-999/1000");
  EXPECT_EQ(header_of(a, "Content-Length"), "500");
}

TEST(answer_for_file, open_ended_range) {
  const auto a = answer(get({{"range", "bytes=900-"}}));  // header names are case-insensitive
  EXPECT_EQ(a.status, 206u);
  EXPECT_EQ(a.offset, 900u);
  EXPECT_EQ(a.length, 100u);
  EXPECT_EQ(header_of(a, "Content-Range"), "bytes 900-999/1000");
  EXPECT_EQ(header_of(a, "Content-Length"), "100");
}

TEST(answer_for_file, the_last_byte_alone_is_206) {
  const auto a = answer(get({{"Range", "bytes=999-999"}}));
  EXPECT_EQ(a.status, 206u);
  EXPECT_EQ(a.offset, 999u);
  EXPECT_EQ(a.length, 1u);
  EXPECT_EQ(header_of(a, "Content-Range"), "bytes 999-999/1000");
}

TEST(answer_for_file, one_past_the_end_is416) {
  const auto a = answer(get({{"Range", "bytes=1000-"}}));
  EXPECT_EQ(a.status, 416u);
  EXPECT_EQ(a.offset, 0u);
  EXPECT_EQ(a.length, 0u);
  const header_list expected = {
      {"Content-Range", "bytes */1000"},
      {"Content-Length", "0"},
      {"Accept-Ranges", "bytes"},
  };
  EXPECT_EQ(a.headers, expected);
}

TEST(answer_for_file, empty_file_range_is416) {
  const file_identity empty{"\"e\"", rfc_example, 0};
  const auto a = answer(get({{"Range", "bytes=0-"}}), empty);
  EXPECT_EQ(a.status, 416u);
  EXPECT_EQ(header_of(a, "Content-Range"), "bytes */0");
  const auto whole = answer(get(), empty);
  EXPECT_EQ(whole.status, 200u);
  EXPECT_EQ(whole.length, 0u);
  EXPECT_EQ(header_of(whole, "Content-Length"), "0");
}

TEST(answer_for_file, multiple_ranges_are_whole_file) {
  const auto a = answer(get({{"Range", "bytes=0-1,5-6"}}));
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(a.offset, 0u);
  EXPECT_EQ(a.length, 1000u);
  EXPECT_EQ(header_of(a, "Content-Length"), "1000");
  EXPECT_EQ(header_of(a, "Content-Range"), std::nullopt);
}

TEST(answer_for_file, invalid_range_is_whole_file) {
  const auto a = answer(get({{"Range", "bytes=5-3"}}));
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(a.length, 1000u);
  EXPECT_EQ(header_of(a, "Content-Range"), std::nullopt);
  EXPECT_EQ(answer(get({{"Range", "items=0-1"}})).status, 200u);
}

TEST(answer_for_file, if_none_match_hit_is304_with_validators_only) {
  const auto a = answer(get({{"If-None-Match", "\"abc123\""}}));
  EXPECT_EQ(a.status, 304u);
  EXPECT_EQ(a.offset, 0u);
  EXPECT_EQ(a.length, 0u);
  const header_list expected = {
      {"ETag", "\"abc123\""},
      {"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"},
      {"Cache-Control", "public, max-age=31536000, immutable"},
  };
  EXPECT_EQ(a.headers, expected);
  EXPECT_EQ(header_of(a, "Content-Length"), std::nullopt);
  EXPECT_EQ(header_of(a, "Content-Range"), std::nullopt);
}

TEST(answer_for_file, if_none_match_weak_and_star_hit) {
  EXPECT_EQ(answer(get({{"If-None-Match", "W/\"abc123\""}})).status, 304u);
  EXPECT_EQ(answer(get({{"If-None-Match", "*"}})).status, 304u);
  EXPECT_EQ(answer(get({{"If-None-Match", "\"old\", \"abc123\""}})).status, 304u);
}

TEST(answer_for_file, if_none_match_beats_range) {
  const auto a = answer(get({{"If-None-Match", "\"abc123\""}, {"Range", "bytes=0-1"}}));
  EXPECT_EQ(a.status, 304u);
  const auto b = answer(get({{"If-None-Match", "\"abc123\""}, {"Range", "bytes=5000-"}}));
  EXPECT_EQ(b.status, 304u);
}

TEST(answer_for_file, if_none_match_miss_falls_through_to_range) {
  const auto a = answer(get({{"If-None-Match", "\"old\""}, {"Range", "bytes=0-1"}}));
  EXPECT_EQ(a.status, 206u);
  EXPECT_EQ(a.length, 2u);
}

TEST(answer_for_file, if_modified_since_not_modified) {
  EXPECT_EQ(answer(get({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}})).status, 304u);
  EXPECT_EQ(answer(get({{"If-Modified-Since", "Mon, 07 Nov 1994 00:00:00 GMT"}})).status, 304u);
  EXPECT_EQ(answer(get({{"If-Modified-Since", "Sun Nov  6 08:49:37 1994"}})).status, 304u);
}

TEST(answer_for_file, if_modified_since_modified) {
  const auto a = answer(get({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"}}));
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(a.length, 1000u);
}

TEST(answer_for_file, if_modified_since_garbage_is_ignored) {
  EXPECT_EQ(answer(get({{"If-Modified-Since", "not a date"}})).status, 200u);
}

TEST(answer_for_file, if_modified_since_ignored_when_if_none_match_present) {
  // The etag says changed, the date says unchanged: the etag wins.
  const auto a =
      answer(get({{"If-None-Match", "\"old\""}, {"If-Modified-Since", "Mon, 07 Nov 1994 00:00:00 GMT"}}));
  EXPECT_EQ(a.status, 200u);
}

TEST(answer_for_file, if_range_stale_etag_serves_whole_file) {
  const auto a = answer(get({{"Range", "bytes=0-1"}, {"If-Range", "\"old\""}}));
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(a.offset, 0u);
  EXPECT_EQ(a.length, 1000u);
  EXPECT_EQ(header_of(a, "Content-Length"), "1000");
  EXPECT_EQ(header_of(a, "Content-Range"), std::nullopt);
}

TEST(answer_for_file, if_range_stale_ignores_even_unsatisfiable_range) {
  EXPECT_EQ(answer(get({{"Range", "bytes=5000-"}, {"If-Range", "\"old\""}})).status, 200u);
}

TEST(answer_for_file, if_range_matching_etag_or_date_serves_part) {
  const auto a = answer(get({{"Range", "bytes=0-1"}, {"If-Range", "\"abc123\""}}));
  EXPECT_EQ(a.status, 206u);
  EXPECT_EQ(a.length, 2u);
  const auto b = answer(get({{"Range", "bytes=0-1"}, {"If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"}}));
  EXPECT_EQ(b.status, 206u);
}

TEST(answer_for_file, if_range_weak_etag_or_other_date_serves_whole_file) {
  EXPECT_EQ(answer(get({{"Range", "bytes=0-1"}, {"If-Range", "W/\"abc123\""}})).status, 200u);
  EXPECT_EQ(answer(get({{"Range", "bytes=0-1"}, {"If-Range", "Sun, 06 Nov 1994 08:49:38 GMT"}})).status, 200u);
}

TEST(answer_for_file, if_range_without_range_is_whole_file) {
  EXPECT_EQ(answer(get({{"If-Range", "\"abc123\""}})).status, 200u);
}

TEST(answer_for_file, head_gets_exactly_gets_answer) {
  const header_list cases[] = {
      {},
      {{"Range", "bytes=0-1"}},
      {{"Range", "bytes=-500"}},
      {{"Range", "bytes=1000-"}},
      {{"Range", "bytes=0-1,5-6"}},
      {{"If-None-Match", "\"abc123\""}},
      {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}},
      {{"Range", "bytes=0-1"}, {"If-Range", "\"old\""}},
  };
  for (const auto& headers : cases) {
    const auto g = answer(get(headers, "GET"));
    const auto h = answer(get(headers, "HEAD"));
    EXPECT_EQ(h.status, g.status);
    EXPECT_EQ(h.offset, g.offset);
    EXPECT_EQ(h.length, g.length);
    EXPECT_EQ(h.headers, g.headers);
  }
  EXPECT_EQ(answer(get({{"Range", "bytes=0-1"}}, "HEAD")).status, 206u);
}

TEST(answer_for_file, empty_cache_control_is_omitted) {
  const auto a = answer_for_file(get(), song, "audio/mpeg", "");
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(header_of(a, "Cache-Control"), std::nullopt);
  EXPECT_EQ(header_of(a, "ETag"), "\"abc123\"");
}

}  // namespace
}  // namespace serenade::http

namespace serenade::http {
namespace {

TEST(answer_for_file, uses_a_preformatted_last_modified_when_given) {
  file_identity preformatted = song;
  preformatted.last_modified = "Sun, 06 Nov 1994 08:49:37 GMT";
  EXPECT_EQ(header_of(answer(get(), preformatted), "Last-Modified"), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(header_of(answer(get()), "Last-Modified"), "Sun, 06 Nov 1994 08:49:37 GMT");
}

}  // namespace
}  // namespace serenade::http
