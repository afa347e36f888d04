#include "api/download_name.hpp"

#include <gtest/gtest.h>

namespace serenade::api {
namespace {

// The part of a Content-Disposition after `filename="` up to its closing quote.
std::string ascii_name(const std::string& disposition) {
  const auto start = disposition.find("filename=\"") + 10;
  return disposition.substr(start, disposition.find('"', start) - start);
}

void expect_safe_header(const std::string& disposition) {
  for (const char c : disposition) {
    const auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(byte >= 0x20 && byte < 0x7F) << "byte " << int(byte) << " in " << disposition;
  }
  const auto ascii = ascii_name(disposition);
  EXPECT_EQ(ascii.find_first_of("\"\\/%"), std::string::npos) << ascii;
  EXPECT_EQ(disposition.find("filename*=UTF-8''", 0) != std::string::npos, true) << disposition;
}

TEST(download_name, an_em_dash_name_has_an_ascii_fallback_and_a_utf8_name) {
  const auto name = download_file_name("Ana", "Ben");
  EXPECT_EQ(name, "For Ben \u2014 from Ana.mp3");
  EXPECT_EQ(attachment_disposition(name),
            "attachment; filename=\"For Ben - from Ana.mp3\"; filename*=UTF-8''For%20Ben%20%E2%80%94%20from%20Ana.mp3");
}

TEST(download_name, an_emoji_is_percent_encoded_and_replaced_in_the_fallback) {
  const auto disposition = attachment_disposition(download_file_name("Ana \U0001F496", "Ben"));
  EXPECT_EQ(disposition, "attachment; filename=\"For Ben - from Ana _.mp3\"; "
                         "filename*=UTF-8''For%20Ben%20%E2%80%94%20from%20Ana%20%F0%9F%92%96.mp3");
  expect_safe_header(disposition);
}

TEST(download_name, quotes_backslashes_and_path_separators_never_reach_the_name) {
  const auto name = download_file_name("A\"n\\a", "../../etc/passwd");
  EXPECT_EQ(name, "For .._.._etc_passwd \u2014 from A_n_a.mp3");
  expect_safe_header(attachment_disposition(name));
}

TEST(download_name, line_breaks_and_controls_cannot_split_the_header) {
  const auto name = download_file_name("Ana\r\nSet-Cookie: x=1", "Ben\t\x01\x7F");
  EXPECT_EQ(name, "For Ben \u2014 from Ana Set-Cookie_ x=1.mp3");
  const auto disposition = attachment_disposition(name);
  EXPECT_EQ(disposition.find('\r'), std::string::npos);
  EXPECT_EQ(disposition.find('\n'), std::string::npos);
  expect_safe_header(disposition);
}

TEST(download_name, direction_overrides_are_dropped_and_right_to_left_text_kept) {
  // U+202E would show "For Ben — from Ana3pm.exe" reversed; Hebrew letters are kept as they are.
  const auto name = download_file_name("\u202E\u05D0\u05E0\u05D4", "Ben\u2066");
  EXPECT_EQ(name, "For Ben \u2014 from \u05D0\u05E0\u05D4.mp3");
  const auto disposition = attachment_disposition(name);
  EXPECT_NE(disposition.find("%D7%90%D7%A0%D7%94.mp3"), std::string::npos) << disposition;
  EXPECT_EQ(disposition.find("%E2%80%AE"), std::string::npos) << disposition;
  expect_safe_header(disposition);
}

TEST(download_name, a_very_long_name_is_shortened_on_a_character_boundary) {
  std::string long_name;
  for (int i = 0; i < 300; ++i) long_name += "\u00E9";
  const auto shown = shown_name(long_name);
  std::string expected;
  for (std::size_t i = 0; i + 1 < shown_name_limit; ++i) expected += "\u00E9";
  EXPECT_EQ(shown, expected + "\u2026");
  const auto disposition = attachment_disposition(download_file_name(long_name, std::string(300, 'x')));
  EXPECT_LT(disposition.size(), 1000u);
  expect_safe_header(disposition);
}

TEST(download_name, empty_or_invisible_names_get_words_instead) {
  EXPECT_EQ(download_file_name("  \u200B ", ""), "For you \u2014 from someone.mp3");
}

TEST(download_name, invalid_utf8_becomes_the_replacement_character) {
  EXPECT_EQ(shown_name("A\xFF" "b\xC0\xAF"), "A\uFFFDb\uFFFD\uFFFD");
  expect_safe_header(attachment_disposition("\xE2\x80"));
}

TEST(download_name, spaces_are_collapsed_and_trimmed) { EXPECT_EQ(shown_name("  Ana \u00A0  Maria "), "Ana Maria"); }

}  // namespace
}  // namespace serenade::api
