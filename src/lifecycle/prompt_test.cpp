#include "lifecycle/prompt.hpp"

#include "core/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace serenade::lifecycle {
namespace {

constexpr std::string_view ellipsis = "\u2026";

submission_form make_form(std::string story) {
  return {.sender = "Ana", .recipient = "Bo", .story = std::move(story), .style = "bossa nova"};
}

std::size_t chars(std::string_view text) {
  auto n = utf8::code_points(text);
  EXPECT_TRUE(n) << "not valid UTF-8";
  return n.value_or(0);
}

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

// The story as it appears in the prompt: everything after the template's last words.
std::string story_part(const std::string& prompt) {
  constexpr std::string_view marker = " tells it: ";
  auto at = prompt.rfind(marker);
  EXPECT_NE(at, std::string::npos) << prompt;
  return at == std::string::npos ? std::string() : prompt.substr(at + marker.size());
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Checks a shortened story: a prefix of the original ending at a word boundary, then an ellipsis.
void expect_cut_at_word_boundary(const std::string& story_in_prompt, const std::string& original) {
  ASSERT_TRUE(ends_with(story_in_prompt, ellipsis)) << story_in_prompt;
  auto kept = story_in_prompt.substr(0, story_in_prompt.size() - ellipsis.size());
  ASSERT_FALSE(kept.empty());
  ASSERT_LT(kept.size(), original.size());
  EXPECT_EQ(original.substr(0, kept.size()), kept);
  EXPECT_EQ(original[kept.size()], ' ') << "cut inside a word: ..." << kept.substr(kept.size() - 20);
  EXPECT_NE(kept.back(), ' ');
}

TEST(prompt, is_the_template_around_the_persons_words) {
  auto prompt = compose_prompt(make_form("We met on a rainy Tuesday in Lisbon."));
  EXPECT_EQ(prompt,
            "A heartfelt love song from Ana to Bo, in the style of bossa nova, sung in English. Sing to Bo by name "
            "and build the "
            "lyrics around their story, as Ana tells it: We met on a rainy Tuesday in Lisbon.");
}

TEST(prompt, contains_both_names_style_and_story) {
  submission_form form{.sender = "Zo\u00eb",
                       .recipient = "\u0141ukasz",
                       .story = "Nous nous sommes rencontr\u00e9s \u00e0 Paris, sous la pluie.",
                       .style = "chanson fran\u00e7aise"};
  auto prompt = compose_prompt(form);
  EXPECT_NE(prompt.find(form.sender), std::string::npos);
  EXPECT_NE(prompt.find(form.recipient), std::string::npos);
  EXPECT_NE(prompt.find(form.style), std::string::npos);
  EXPECT_EQ(story_part(prompt), form.story);
  EXPECT_NE(prompt.find("love song"), std::string::npos);
}

TEST(prompt, collapses_whitespace_into_one_paragraph) {
  auto prompt = compose_prompt(make_form("We met\n\nin   Lisbon.\r\n\tIt rained\u00a0\u00a0all\u2028week.  "));
  EXPECT_EQ(story_part(prompt), "We met in Lisbon. It rained all week.");
  EXPECT_EQ(prompt.find('\n'), std::string::npos);
  EXPECT_EQ(prompt.find('\t'), std::string::npos);
  EXPECT_EQ(prompt.find("  "), std::string::npos);
}

TEST(prompt, names_and_style_become_single_lines) {
  submission_form form{.sender = " Ana\nMaria ", .recipient = "Bo\t\tB", .story = "A story", .style = "slow\r\njazz"};
  auto prompt = compose_prompt(form);
  EXPECT_NE(prompt.find("from Ana Maria to Bo B, in the style of slow jazz, sung in English."), std::string::npos)
      << prompt;
}

TEST(prompt, asks_for_the_language_the_form_chose) {
  auto form = make_form("We met on a rainy Tuesday in Lisbon.");
  form.language = "pt";
  EXPECT_NE(compose_prompt(form).find("in the style of bossa nova, sung in Portuguese. Sing to Bo"), std::string::npos);
}

TEST(prompt, short_story_is_kept_whole) {
  auto story = repeat("love ", 200) + "forever";
  auto prompt = compose_prompt(make_form(story));
  EXPECT_EQ(story_part(prompt), story);
  EXPECT_FALSE(ends_with(prompt, ellipsis));
}

TEST(prompt, long_story_is_cut_at_a_word_boundary) {
  std::string story;
  for (int i = 0; story.size() < 4000; ++i) story += "word" + std::to_string(i) + " ";
  story.pop_back();
  auto prompt = compose_prompt(make_form(story));
  EXPECT_LE(chars(prompt), max_prompt_chars);
  EXPECT_GE(chars(prompt), max_prompt_chars - 20) << "cut far more than needed";
  expect_cut_at_word_boundary(story_part(prompt), story);
}

TEST(prompt, long_story_of_sentences_ends_after_its_last_whole_sentence) {
  std::string story;
  for (int i = 0; chars(story) < 3000; ++i) story += "On day " + std::to_string(i) + " we walked by the sea. ";
  story.pop_back();
  const auto kept = story_part(compose_prompt(make_form(story)));
  EXPECT_FALSE(ends_with(kept, ellipsis));
  ASSERT_TRUE(ends_with(kept, " we walked by the sea.")) << kept;
  EXPECT_EQ(story.substr(0, kept.size()), kept);
  EXPECT_EQ(story[kept.size()], ' ');
  EXPECT_GE(chars(compose_prompt(make_form(story))), max_prompt_chars - 40) << "cut far more than needed";
}

TEST(prompt, a_sentence_that_would_keep_too_little_gives_way_to_a_word_cut) {
  // One short sentence, then one that runs past the cap: ending after the first would drop most of the story.
  std::string story = "We met.";
  for (int i = 0; chars(story) < 3000; ++i) story += " and then " + std::to_string(i);
  const auto prompt = compose_prompt(make_form(story));
  EXPECT_GE(chars(prompt), max_prompt_chars - 20);
  expect_cut_at_word_boundary(story_part(prompt), story);
}

TEST(prompt, full_width_stops_end_sentences_without_a_space) {
  std::string story;
  for (int i = 0; chars(story) < 3000; ++i) story += "\u6d77\u8fba\u3092\u6b69\u3044\u305f\u3002";
  const auto kept = story_part(compose_prompt(make_form(story)));
  EXPECT_TRUE(ends_with(kept, "\u3002")) << kept;
  EXPECT_FALSE(ends_with(kept, ellipsis));
}

TEST(prompt, cut_never_splits_a_utf8_sequence) {
  // Multi-byte words of different widths, so a byte-based cut would land inside a sequence.
  std::string story;
  const std::string_view words[] = {"\u00f1and\u00fa", "\u65e5\u672c\u8a9e", "\U0001F339\U0001F339", "caf\u00e9"};
  for (int i = 0; chars(story) < 3000; ++i) story += std::string(words[i % 4]) + " ";
  story.pop_back();
  auto prompt = compose_prompt(make_form(story));
  EXPECT_TRUE(utf8::is_valid(prompt));
  EXPECT_LE(chars(prompt), max_prompt_chars);
  expect_cut_at_word_boundary(story_part(prompt), story);
}

TEST(prompt, longest_valid_form_fits_the_cap) {
  submission_form form{.sender = repeat("\u00e9", name_max_chars),
                       .recipient = repeat("\U0001F339", name_max_chars),
                       .story = "",
                       .style = repeat("s", style_max_chars)};
  for (std::size_t i = 0; chars(form.story) + 5 <= story_max_chars; ++i) form.story += "amor ";
  form.story.pop_back();
  auto prompt = compose_prompt(form);
  EXPECT_TRUE(utf8::is_valid(prompt));
  EXPECT_LE(chars(prompt), max_prompt_chars);
  EXPECT_NE(prompt.find(form.sender), std::string::npos);
  EXPECT_NE(prompt.find(form.recipient), std::string::npos);
  EXPECT_NE(prompt.find(form.style), std::string::npos);
  expect_cut_at_word_boundary(story_part(prompt), form.story);
}

TEST(prompt, one_enormous_word_is_cut_inside_it) {
  auto prompt = compose_prompt(make_form(repeat("\u00e9", 5000)));
  EXPECT_TRUE(utf8::is_valid(prompt));
  EXPECT_EQ(chars(prompt), max_prompt_chars);
  EXPECT_TRUE(ends_with(prompt, ellipsis));
}

TEST(prompt, oversized_unvalidated_fields_still_fit) {
  submission_form form{.sender = repeat("S", 3000), .recipient = repeat("R", 3000), .story = repeat("t ", 3000),
                       .style = repeat("Y", 3000)};
  auto prompt = compose_prompt(form);
  EXPECT_LE(chars(prompt), max_prompt_chars);
}

TEST(prompt, malformed_utf8_comes_out_as_replacement_characters) {
  auto prompt = compose_prompt(make_form("caf\xC3 au lait \xED\xA0\x80 ok"));
  EXPECT_TRUE(utf8::is_valid(prompt));
  EXPECT_EQ(story_part(prompt), "caf\uFFFD au lait \uFFFD\uFFFD\uFFFD ok");
}

TEST(prompt, is_deterministic) {
  std::string story;
  for (int i = 0; i < 600; ++i) story += "line " + std::to_string(i % 7) + "\n";
  auto first = compose_prompt(make_form(story));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(compose_prompt(make_form(story)), first);
  EXPECT_NE(compose_prompt(make_form(story + " more")), compose_prompt(make_form("different")));
}

}  // namespace
}  // namespace serenade::lifecycle
