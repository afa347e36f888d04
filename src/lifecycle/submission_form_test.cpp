#include "lifecycle/submission_form.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>

namespace serenade::lifecycle {
namespace {

using namespace std::string_view_literals;

const std::string valid_story = "We met on a rainy Tuesday in Lisbon and shared an umbrella.";

boost::json::object valid_object() {
  return {{"sender", "Ana"}, {"recipient", "Bo"}, {"story", valid_story}, {"style", "bossa nova"}};
}

std::string body_of(const boost::json::object& object) { return boost::json::serialize(object); }

parse_result parse_with(std::string_view field, boost::json::value value) {
  auto object = valid_object();
  object[field] = std::move(value);
  return parse_submission_form(body_of(object));
}

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

// The single error a result should hold, as "field: message".
std::string only_error(const parse_result& result) {
  if (result.ok()) return "(accepted)";
  if (result.errors.size() != 1) return "(" + std::to_string(result.errors.size()) + " errors) " + result.detail;
  EXPECT_EQ(result.detail, result.errors.front().message);
  return result.errors.front().field + ": " + result.errors.front().message;
}

void expect_body_refused(std::string_view body, std::string_view detail) {
  auto result = parse_submission_form(body);
  EXPECT_FALSE(result.ok()) << body;
  EXPECT_FALSE(result.form) << body;
  EXPECT_TRUE(result.errors.empty()) << body;
  EXPECT_EQ(result.detail, detail) << body;
}

TEST(submission_form, accepts_a_valid_form) {
  auto result = parse_submission_form(body_of(valid_object()));
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.form->sender, "Ana");
  EXPECT_EQ(result.form->recipient, "Bo");
  EXPECT_EQ(result.form->story, valid_story);
  EXPECT_EQ(result.form->style, "bossa nova");
  EXPECT_EQ(result.form->lyrics, "") << "no lyrics of their own: Sonauto writes them";
  EXPECT_TRUE(result.errors.empty());
  EXPECT_EQ(result.detail, "");
}

TEST(submission_form, own_lyrics_are_optional_multiline_and_limited) {
  const std::string verse = "Umbrella in Lisbon,\r\nrain on the platform,\n\tyou and me.";
  auto own = parse_with("lyrics", boost::json::string("  " + verse + "  "));
  ASSERT_TRUE(own.ok()) << own.detail;
  EXPECT_EQ(own.form->lyrics, "Umbrella in Lisbon,\nrain on the platform,\n\tyou and me.");
  for (auto blank : {boost::json::value(nullptr), boost::json::value("   \n ")}) {
    auto none = parse_with("lyrics", blank);
    ASSERT_TRUE(none.ok()) << none.detail;
    EXPECT_EQ(none.form->lyrics, "");
  }
  EXPECT_EQ(only_error(parse_with("lyrics", "la la la")), "lyrics: Your lyric sheet needs at least 20 characters.");
  EXPECT_EQ(only_error(parse_with("lyrics", boost::json::string(repeat("é", 3001)))),
            "lyrics: Your lyric sheet is too long (3,001 characters); the limit is 3,000.");
  EXPECT_TRUE(parse_with("lyrics", boost::json::string(repeat("é", 3000))).ok());
  EXPECT_EQ(only_error(parse_with("lyrics", 42)), "lyrics: Your lyric sheet must be text.");
  EXPECT_EQ(only_error(parse_with("lyrics", boost::json::string(verse + "\x07"))),
            "lyrics: Your lyric sheet can't contain control characters other than line breaks and tabs.");
}

TEST(submission_form, the_language_is_one_of_those_offered_and_english_when_none) {
  EXPECT_EQ(parse_submission_form(body_of(valid_object())).form->language, "en");
  EXPECT_EQ(parse_with("language", nullptr).form->language, "en");
  for (const auto& language : song_languages) {
    const auto chosen = parse_with("language", boost::json::string(language.tag));
    ASSERT_TRUE(chosen.ok()) << language.tag;
    EXPECT_EQ(chosen.form->language, language.tag);
  }
  for (auto refused : {boost::json::value("FR"), boost::json::value("klingon"), boost::json::value(""),
                       boost::json::value(7), boost::json::value(boost::json::array{"fr"})}) {
    EXPECT_EQ(only_error(parse_with("language", refused)), "language: Please choose one of the languages offered.")
        << refused;
  }
}

TEST(submission_form, ignores_unknown_fields) {
  auto object = valid_object();
  object["email"] = 42;
  object["extra"] = boost::json::array{1, 2};
  EXPECT_TRUE(parse_submission_form(body_of(object)).ok());
}

TEST(submission_form, refuses_invalid_utf8_before_parsing) {
  for (std::string bad : {"\xC3\x28", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\xFF"}) {
    std::string body = R"({"sender":")" + bad + R"(","recipient":"Bo","story":")" + valid_story +
                       R"(","style":"pop"})";
    expect_body_refused(body, "Request body is not valid UTF-8");
  }
  // Not JSON either, but the encoding is what is reported.
  expect_body_refused("\xC0\xAF not json", "Request body is not valid UTF-8");
}

TEST(submission_form, refuses_malformed_json) {
  for (std::string_view body : {"", "{", "{\"sender\": }", "{\"sender\":\"Ana\",}", "{} trailing", "sender=Ana",
                                "{\"sender\":\"\\ud800\"}"}) {
    expect_body_refused(body, "Request body must be a JSON object");
  }
}

TEST(submission_form, refuses_json_that_is_not_an_object) {
  for (std::string_view body : {"[]", "[{\"sender\":\"Ana\"}]", "\"Ana\"", "42", "true", "null"}) {
    expect_body_refused(body, "Request body must be a JSON object");
  }
}

TEST(submission_form, a_missing_field_is_named_in_its_message) {
  const std::pair<const char*, const char*> cases[] = {
      {"sender", "sender: Please tell us your name."},
      {"recipient", "recipient: Please tell us who the song is for."},
      {"story", "story: Please tell us your story."},
      {"style", "style: Please tell us what style of song you would like."},
  };
  for (const auto& [field, expected] : cases) {
    auto object = valid_object();
    object.erase(field);
    EXPECT_EQ(only_error(parse_submission_form(body_of(object))), expected);
    EXPECT_EQ(only_error(parse_with(field, nullptr)), expected) << "null counts as missing";
    EXPECT_EQ(only_error(parse_with(field, "")), expected) << "empty";
    EXPECT_EQ(only_error(parse_with(field, " \t\n \u00a0\u3000 ")), expected) << "whitespace only";
  }
}

TEST(submission_form, several_errors_are_listed_in_form_order) {
  auto result = parse_submission_form("{}");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 4u);
  EXPECT_EQ(result.errors[0].field, "sender");
  EXPECT_EQ(result.errors[1].field, "recipient");
  EXPECT_EQ(result.errors[2].field, "story");
  EXPECT_EQ(result.errors[3].field, "style");
  EXPECT_EQ(result.detail, "Please check the highlighted fields.");

  auto two = parse_submission_form(R"({"sender":"Ana","recipient":"Bo","story":"too short"})");
  ASSERT_EQ(two.errors.size(), 2u);
  EXPECT_EQ(two.detail, "Please check the highlighted fields.");
}

TEST(submission_form, wrong_types_must_be_text) {
  const std::pair<const char*, const char*> cases[] = {
      {"sender", "sender: Your name must be text."},
      {"recipient", "recipient: Their name must be text."},
      {"story", "story: The story must be text."},
      {"style", "style: The style must be text."},
  };
  for (const auto& [field, expected] : cases) {
    EXPECT_EQ(only_error(parse_with(field, 42)), expected);
    EXPECT_EQ(only_error(parse_with(field, true)), expected);
    EXPECT_EQ(only_error(parse_with(field, boost::json::array{"Ana"})), expected);
    EXPECT_EQ(only_error(parse_with(field, boost::json::object{{"name", "Ana"}})), expected);
  }
}

TEST(submission_form, limits_are_the_documented_ones) {
  EXPECT_EQ(name_min_chars, 1u);
  EXPECT_EQ(name_max_chars, 80u);
  EXPECT_EQ(story_min_chars, 20u);
  EXPECT_EQ(story_max_chars, 2000u);
  EXPECT_EQ(style_min_chars, 1u);
  EXPECT_EQ(style_max_chars, 80u);
  EXPECT_EQ(lyrics_min_chars, 20u);
  EXPECT_EQ(lyrics_max_chars, 3000u);
}

TEST(submission_form, name_and_style_lengths_count_code_points) {
  const std::pair<const char*, const char*> cases[] = {
      {"sender", "Your name"}, {"recipient", "Their name"}, {"style", "The style"}};
  for (const auto& [field, subject] : cases) {
    for (std::string_view piece : {"e", "\u00e9", "\u65e5", "\U0001F339"}) {
      auto at_limit = parse_with(field, boost::json::string(repeat(piece, 80)));
      EXPECT_TRUE(at_limit.ok()) << field << " " << piece << ": " << at_limit.detail;
      EXPECT_EQ(only_error(parse_with(field, boost::json::string(repeat(piece, 81)))),
                std::string(field) + ": " + subject + " is too long (81 characters); the limit is 80.")
          << piece;
    }
    EXPECT_TRUE(parse_with(field, "x").ok()) << "one character is enough";
  }
}

TEST(submission_form, story_lengths_count_code_points) {
  for (std::string_view piece : {"e", "\u00e9", "\U0001F339"}) {
    EXPECT_TRUE(parse_with("story", boost::json::string(repeat(piece, 20))).ok()) << piece;
    EXPECT_EQ(only_error(parse_with("story", boost::json::string(repeat(piece, 19)))),
              "story: The story needs at least 20 characters.")
        << piece;
    EXPECT_TRUE(parse_with("story", boost::json::string(repeat(piece, 2000))).ok()) << piece;
    EXPECT_EQ(only_error(parse_with("story", boost::json::string(repeat(piece, 2001)))),
              "story: The story is too long (2,001 characters); the limit is 2,000.")
        << piece;
  }
  EXPECT_EQ(only_error(parse_with("story", boost::json::string(repeat("a", 2345)))),
            "story: The story is too long (2,345 characters); the limit is 2,000.");
  EXPECT_EQ(only_error(parse_with("story", boost::json::string(repeat("a", 12345)))),
            "story: The story is too long (12,345 characters); the limit is 2,000.");
}

TEST(submission_form, limits_apply_after_trimming) {
  auto padded_name = "  \t" + repeat("\u00e9", 80) + " \u00a0\n";
  auto result = parse_with("sender", boost::json::string(padded_name));
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.form->sender, repeat("\u00e9", 80));

  auto padded_story = "\n\n   " + repeat("s", 19) + "   \n";
  EXPECT_EQ(only_error(parse_with("story", boost::json::string(padded_story))),
            "story: The story needs at least 20 characters.");
}

TEST(submission_form, trims_surrounding_whitespace_only) {
  auto object = valid_object();
  object["sender"] = "  Ana Maria \t";
  object["recipient"] = "\u3000Bo\u00a0";
  object["story"] = "\n  We met in Lisbon.\n\n  It rained all week.  \n";
  object["style"] = " slow  jazz ";
  auto result = parse_submission_form(body_of(object));
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.form->sender, "Ana Maria");
  EXPECT_EQ(result.form->recipient, "Bo");
  EXPECT_EQ(result.form->story, "We met in Lisbon.\n\n  It rained all week.");
  EXPECT_EQ(result.form->style, "slow  jazz");
}

TEST(submission_form, names_and_style_refuse_control_characters) {
  const std::pair<const char*, const char*> cases[] = {
      {"sender", "sender: Your name can't contain line breaks or other control characters."},
      {"recipient", "recipient: Their name can't contain line breaks or other control characters."},
      {"style", "style: The style can't contain line breaks or other control characters."},
  };
  for (const auto& [field, expected] : cases) {
    for (std::string_view bad : {"Ana\nMaria"sv, "Ana\tMaria"sv, "Ana\rMaria"sv, "Ana\0Maria"sv, "Ana\x7fMaria"sv,
                                 "Ana\u0085Maria"sv, "Ana\u009bMaria"sv, "Ana\x1b[31m"sv}) {
      EXPECT_EQ(only_error(parse_with(field, boost::json::string(bad))), expected) << field;
    }
  }
}

TEST(submission_form, story_allows_line_breaks_and_tabs_only) {
  auto story = "We met in Lisbon.\n\tIt rained.\n\nThen the sun came out.";
  auto result = parse_with("story", story);
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.form->story, story);

  const std::string expected = "story: The story can't contain control characters other than line breaks and tabs.";
  for (std::string_view bad : {"\a"sv, "\r"sv, "\v"sv, "\f"sv, "\x1b"sv, "\x7f"sv, "\u0085"sv, "\0"sv}) {
    auto text = "We met in Lisbon." + std::string(bad) + "It rained all week.";
    EXPECT_EQ(only_error(parse_with("story", boost::json::string(text))), expected);
  }
}

TEST(submission_form, story_line_breaks_may_be_crlf) {
  auto result = parse_with("story", "We met in Lisbon.\r\nIt rained all week.\r\n");
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.form->story, "We met in Lisbon.\nIt rained all week.");
}

TEST(submission_form, json_escapes_are_checked_like_raw_text) {
  EXPECT_EQ(only_error(parse_submission_form(
                R"({"sender":"Ana\u0000","recipient":"Bo","story":"We met on a rainy day in May.","style":"pop"})")),
            "sender: Your name can't contain line breaks or other control characters.");
  auto result = parse_submission_form(
      R"({"sender":"Zo\u00eb","recipient":"\ud83c\udf39","story":"We met on a rainy day in May.","style":"pop"})");
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.form->sender, "Zo\u00eb");
  EXPECT_EQ(result.form->recipient, "\U0001F339");
}

}  // namespace
}  // namespace serenade::lifecycle
