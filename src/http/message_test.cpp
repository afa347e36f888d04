#include "http/message.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace serenade::http {
namespace {

std::optional<std::string> header_of(const response& r, std::string_view name) {
  for (const auto& [key, value] : r.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

TEST(iequals, compares_ignoring_ascii_case) {
  EXPECT_TRUE(iequals("", ""));
  EXPECT_TRUE(iequals("content-type", "Content-Type"));
  EXPECT_TRUE(iequals("IF-NONE-MATCH", "if-none-match"));
  EXPECT_TRUE(iequals("x-1_2", "X-1_2"));
  EXPECT_FALSE(iequals("content-type", "content-typ"));
  EXPECT_FALSE(iequals("content-type", "content-types"));
  EXPECT_FALSE(iequals("a", ""));
  EXPECT_FALSE(iequals("accept", "accepT "));
  EXPECT_FALSE(iequals("[", "{"));  // 0x5B vs 0x7B differ by the case bit but are not letters
  EXPECT_FALSE(iequals("@", "`"));
}

TEST(request, header_lookup_is_case_insensitive) {
  request q;
  q.headers = {{"Content-Type", "application/json"}, {"X-Forwarded-For", "10.0.0.1"}};
  ASSERT_TRUE(q.header("content-type").has_value());
  EXPECT_EQ(*q.header("content-type"), "application/json");
  EXPECT_EQ(*q.header("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(*q.header("Content-Type"), "application/json");
  EXPECT_EQ(*q.header("x-forwarded-for"), "10.0.0.1");
  EXPECT_EQ(q.header("Content-Length"), std::nullopt);
  EXPECT_EQ(q.header("Content"), std::nullopt);
  EXPECT_EQ(q.header(""), std::nullopt);
}

TEST(request, header_returns_the_first_of_duplicates) {
  request q;
  q.headers = {{"accept", "first"}, {"Accept", "second"}};
  EXPECT_EQ(*q.header("ACCEPT"), "first");
}

TEST(request, empty_header_value_is_present) {
  request q;
  q.headers = {{"If-None-Match", ""}};
  auto v = q.header("if-none-match");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, "");
}

TEST(request, is_head) {
  request q;
  EXPECT_FALSE(q.is_head());
  q.method = "HEAD";
  EXPECT_TRUE(q.is_head());
  q.method = "GET";
  EXPECT_FALSE(q.is_head());
  EXPECT_TRUE(q.keep_alive);
}

TEST(request, query_parameter_is_decoded_and_the_first_wins) {
  request req;
  req.query = "a=1&v=ab%2Dcd&v=second&flag&empty=";
  EXPECT_EQ(req.query_parameter("v"), "ab-cd");
  EXPECT_EQ(req.query_parameter("a"), "1");
  EXPECT_EQ(req.query_parameter("empty"), "");
  EXPECT_EQ(req.query_parameter("flag"), std::nullopt);  // a key without '=' has no value
  EXPECT_EQ(req.query_parameter("missing"), std::nullopt);
  req.query = "v=%zz";
  EXPECT_EQ(req.query_parameter("v"), std::nullopt);  // malformed escapes: nothing is trusted
}

TEST(response, defaults_to_an_empty_200) {
  response r;
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.headers.empty());
  EXPECT_EQ(r.body, "");
}

TEST(response, set_appends_new_headers) {
  response r;
  r.set("ETag", "\"a\"").set("Cache-Control", "no-cache");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].first, "ETag");
  EXPECT_EQ(r.headers[0].second, "\"a\"");
  EXPECT_EQ(r.headers[1].first, "Cache-Control");
  EXPECT_EQ(r.headers[1].second, "no-cache");
}

TEST(response, set_replaces_case_insensitively) {
  response r;
  r.set("Content-Type", "text/plain");
  r.set("X-Other", "1");
  r.set("content-type", "application/json");
  ASSERT_EQ(r.headers.size(), 2u);
  // The first spelling and position are kept; only the value changes.
  EXPECT_EQ(r.headers[0].first, "Content-Type");
  EXPECT_EQ(r.headers[0].second, "application/json");
  EXPECT_EQ(r.headers[1].first, "X-Other");
  r.set("X-OTHER", "2");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[1].second, "2");
}

TEST(json_response, carries_the_standard_headers) {
  response r = json_response(201, R"({"ok":true})");
  EXPECT_EQ(r.status, 201u);
  EXPECT_EQ(r.body, R"({"ok":true})");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(header_of(r, "Content-Type"), std::optional<std::string>("application/json"));
  EXPECT_EQ(header_of(r, "Cache-Control"), std::optional<std::string>("no-store"));
}

TEST(error_response, puts_the_message_in_a_json_detail) {
  response r = error_response(404, "Session not found");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body, R"({"detail":"Session not found"})");
  EXPECT_EQ(header_of(r, "Content-Type"), std::optional<std::string>("application/json"));
  EXPECT_EQ(header_of(r, "Cache-Control"), std::optional<std::string>("no-store"));
}

TEST(error_response, an_empty_message_keeps_the_detail_field) { EXPECT_EQ(error_response(500, "").body, R"({"detail":""})"); }

TEST(error_response, quotes_and_backslashes_escaped) {
  EXPECT_EQ(error_response(400, R"(say "hi" \ bye)").body, R"({"detail":"say \"hi\" \\ bye"})");
}

TEST(error_response, control_characters_escaped) {
  EXPECT_EQ(error_response(400, "line1\nline2\r\tend").body, R"({"detail":"line1\nline2\r\tend"})");
  EXPECT_EQ(error_response(400, "bell\x07").body, R"({"detail":"bell\u0007"})");
  EXPECT_EQ(error_response(400, std::string_view("nul\0", 4)).body, R"({"detail":"nul\u0000"})");
}

TEST(error_response, unicode_kept_as_utf8) {
  EXPECT_EQ(error_response(422, "caf\xc3\xa9 \xe2\x99\xa5 \xf0\x9f\x8e\xb5").body,
            "{\"detail\":\"caf\xc3\xa9 \xe2\x99\xa5 \xf0\x9f\x8e\xb5\"}");
}

TEST(error_response, status_kept) {
  EXPECT_EQ(error_response(415, "x").status, 415u);
  EXPECT_EQ(error_response(504, "x").status, 504u);
}

TEST(reason_phrase, known_and_unknown) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(304), "Not Modified");
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(405), "Method Not Allowed");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(422), "Unprocessable Content");
  EXPECT_EQ(reason_phrase(504), "Gateway Timeout");
  EXPECT_EQ(reason_phrase(299), "");
}

}  // namespace
}  // namespace serenade::http
