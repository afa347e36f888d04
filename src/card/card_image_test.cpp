#include "card/card_image.hpp"
#include "card/testing/png_facts.hpp"

#include <gtest/gtest.h>

namespace serenade::card {
namespace {

using namespace std::chrono_literals;

// The PNG's header says 1200×630, and libpng (through cairo) decodes the whole image at that size.
void expect_whole_card(const std::string& png) {
  const auto facts = testing::read_png(png);
  EXPECT_TRUE(facts.signature);
  EXPECT_EQ(facts.header_width, 1200u);
  EXPECT_EQ(facts.header_height, 630u);
  EXPECT_TRUE(facts.decodes);
  EXPECT_EQ(facts.width, card_width);
  EXPECT_EQ(facts.height, card_height);
}

TEST(card_image, a_song_card_is_a_1200_by_630_png) {
  expect_whole_card(render_card_png(song_preview{"Ana", "Ben", 192'000ms}));
}

TEST(card_image, the_card_that_names_nobody_is_a_1200_by_630_png) {
  expect_whole_card(render_card_png(std::nullopt));
}

TEST(card_image, names_with_markup_and_quotes_are_drawn_as_text) {
  expect_whole_card(render_card_png(song_preview{R"(<b>"Ana"</b> & 'co')", "<span foreground=\"red\">Ben", {}}));
}

TEST(card_image, emoji_and_right_to_left_names_are_drawn) {
  expect_whole_card(render_card_png(song_preview{"ליאור 💖", "ليلى 🌹", 61'000ms}));
}

TEST(card_image, a_very_long_name_is_cut_to_fit) {
  const auto long_name = std::string(200, 'W');
  const auto long_card = render_card_png(song_preview{long_name, long_name, {}});
  expect_whole_card(long_card);
  EXPECT_NE(long_card, render_card_png(song_preview{"W", "W", {}}));
}

TEST(card_image, bytes_that_are_not_utf8_or_controls_do_not_stop_the_drawing) {
  expect_whole_card(render_card_png(song_preview{std::string("A\xff\x00\x1b", 4), "B\xc0", {}}));
}

TEST(card_image, different_names_make_different_cards) {
  EXPECT_NE(render_card_png(song_preview{"Ana", "Ben", {}}), render_card_png(song_preview{"Ana", "Bea", {}}));
}

}  // namespace
}  // namespace serenade::card
