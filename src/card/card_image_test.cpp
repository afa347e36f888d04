#include "card/card_image.hpp"

#include <cairo.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace serenade::card {
namespace {

using namespace std::chrono_literals;

struct png_reader {
  const std::string& bytes;
  std::size_t at = 0;
};

cairo_status_t read_from(void* closure, unsigned char* data, unsigned int length) {
  auto& reader = *static_cast<png_reader*>(closure);
  if (reader.bytes.size() - reader.at < length) return CAIRO_STATUS_READ_ERROR;
  std::memcpy(data, reader.bytes.data() + reader.at, length);
  reader.at += length;
  return CAIRO_STATUS_SUCCESS;
}

std::uint32_t big_endian(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

// The PNG's header says 1200×630, and libpng (through cairo) decodes the whole image at that size.
void expect_whole_card(const std::string& png) {
  ASSERT_GT(png.size(), 33u);
  EXPECT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(big_endian(png, 16), 1200u);
  EXPECT_EQ(big_endian(png, 20), 630u);
  png_reader reader{png};
  auto* decoded = cairo_image_surface_create_from_png_stream(read_from, &reader);
  EXPECT_EQ(cairo_surface_status(decoded), CAIRO_STATUS_SUCCESS);
  EXPECT_EQ(cairo_image_surface_get_width(decoded), card_width);
  EXPECT_EQ(cairo_image_surface_get_height(decoded), card_height);
  cairo_surface_destroy(decoded);
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
