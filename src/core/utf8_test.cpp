#include "core/utf8.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace serenade::utf8 {
namespace {

using namespace std::string_view_literals;

std::optional<std::size_t> count(std::string_view s) { return code_points(s); }

TEST(utf8, empty_is_valid) {
  EXPECT_TRUE(is_valid(""));
  EXPECT_EQ(count(""), std::optional<std::size_t>(0));
}

TEST(utf8, ascii_is_valid_one_code_point_a_byte) {
  EXPECT_TRUE(is_valid("Hello, world!"));
  EXPECT_EQ(count("Hello, world!"), std::optional<std::size_t>(13));
  EXPECT_EQ(count("a\0b"sv), std::optional<std::size_t>(3));  // NUL is a code point
  EXPECT_EQ(count("\x7f"), std::optional<std::size_t>(1));
}

TEST(utf8, two_byte_sequences) {
  EXPECT_EQ(count("\xc2\x80"), std::optional<std::size_t>(1));  // U+0080, smallest
  EXPECT_EQ(count("caf\xc3\xa9"), std::optional<std::size_t>(4));  // café
  EXPECT_EQ(count("\xdf\xbf"), std::optional<std::size_t>(1));  // U+07FF, largest
}

TEST(utf8, three_byte_sequences) {
  EXPECT_EQ(count("\xe0\xa0\x80"), std::optional<std::size_t>(1));  // U+0800, smallest
  EXPECT_EQ(count("\xe2\x99\xa5"), std::optional<std::size_t>(1));  // ♥
  EXPECT_EQ(count("I \xe2\x99\xa5 you"), std::optional<std::size_t>(7));
  EXPECT_EQ(count("\xed\x9f\xbf"), std::optional<std::size_t>(1));  // U+D7FF, just below the surrogates
  EXPECT_EQ(count("\xee\x80\x80"), std::optional<std::size_t>(1));  // U+E000, just above the surrogates
  EXPECT_EQ(count("\xef\xbf\xbf"), std::optional<std::size_t>(1));  // U+FFFF
  EXPECT_EQ(count("\xef\xbb\xbf"), std::optional<std::size_t>(1));  // BOM is a valid code point
}

TEST(utf8, four_byte_sequences) {
  EXPECT_EQ(count("\xf0\x90\x80\x80"), std::optional<std::size_t>(1));  // U+10000, smallest
  EXPECT_EQ(count("\xf0\x9f\x8e\xb5"), std::optional<std::size_t>(1));  // 🎵
  EXPECT_EQ(count("\xf4\x8f\xbf\xbf"), std::optional<std::size_t>(1));  // U+10FFFF, largest
}

TEST(utf8, mixed_counts_code_points_not_bytes) {
  // "a" + "é" + "♥" + "🎵" + "z": 1 + 2 + 3 + 4 + 1 = 11 bytes, 5 code points.
  const std::string_view s = "a\xc3\xa9\xe2\x99\xa5\xf0\x9f\x8e\xb5z";
  ASSERT_EQ(s.size(), 11u);
  EXPECT_TRUE(is_valid(s));
  EXPECT_EQ(count(s), std::optional<std::size_t>(5));
  EXPECT_EQ(count("\xe2\x99\xa5\xe2\x99\xa5\xe2\x99\xa5"), std::optional<std::size_t>(3));
}

TEST(utf8, overlongs_refused) {
  EXPECT_FALSE(is_valid("\xc0\xaf"));          // '/' in two bytes
  EXPECT_FALSE(is_valid("\xc0\x80"));          // NUL in two bytes
  EXPECT_FALSE(is_valid("\xc1\xbf"));          // U+007F in two bytes
  EXPECT_FALSE(is_valid("\xe0\x80\xaf"));      // '/' in three bytes
  EXPECT_FALSE(is_valid("\xe0\x9f\xbf"));      // U+07FF in three bytes
  EXPECT_FALSE(is_valid("\xf0\x80\x80\xaf"));  // '/' in four bytes
  EXPECT_FALSE(is_valid("\xf0\x8f\xbf\xbf"));  // U+FFFF in four bytes
  EXPECT_EQ(count("ok\xc0\xaf"), std::nullopt);
}

TEST(utf8, surrogates_refused) {
  EXPECT_FALSE(is_valid("\xed\xa0\x80"));  // U+D800
  EXPECT_FALSE(is_valid("\xed\xaf\xbf"));  // U+DBFF
  EXPECT_FALSE(is_valid("\xed\xb0\x80"));  // U+DC00
  EXPECT_FALSE(is_valid("\xed\xbf\xbf"));  // U+DFFF
  EXPECT_FALSE(is_valid("\xed\xa0\xbd\xed\xb2\xa9"));  // CESU-8 style surrogate pair
  EXPECT_EQ(count("x\xed\xa0\x80y"), std::nullopt);
}

TEST(utf8, above_maximum_refused) {
  EXPECT_FALSE(is_valid("\xf4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(is_valid("\xf5\x80\x80\x80"));
  EXPECT_FALSE(is_valid("\xf7\xbf\xbf\xbf"));
  EXPECT_FALSE(is_valid("\xf8\x88\x80\x80\x80"));  // old five-byte form
  EXPECT_FALSE(is_valid("\xfc\x84\x80\x80\x80\x80"));  // old six-byte form
  EXPECT_FALSE(is_valid("\xfe"));
  EXPECT_FALSE(is_valid("\xff"));
}

TEST(utf8, truncated_sequences_refused) {
  EXPECT_FALSE(is_valid("\xc3"));
  EXPECT_FALSE(is_valid("\xe2\x99"));
  EXPECT_FALSE(is_valid("\xe2"));
  EXPECT_FALSE(is_valid("\xf0\x9f\x8e"));
  EXPECT_FALSE(is_valid("\xf0\x9f"));
  EXPECT_FALSE(is_valid("\xf0"));
  EXPECT_FALSE(is_valid("abc\xe2\x99"));
  // Cut short by an ASCII byte rather than the end of the text.
  EXPECT_FALSE(is_valid("\xc3" "a"));
  EXPECT_FALSE(is_valid("\xe2\x99" "a"));
  EXPECT_FALSE(is_valid("\xf0\x9f\x8e" "a"));
  EXPECT_FALSE(is_valid("\xe2\xc3\xa9"));  // a new lead byte where a continuation should be
}

TEST(utf8, stray_continuation_bytes_refused) {
  EXPECT_FALSE(is_valid("\x80"));
  EXPECT_FALSE(is_valid("\xbf"));
  EXPECT_FALSE(is_valid("a\x80" "b"));
  EXPECT_FALSE(is_valid("\xc3\xa9\xa9"));          // one continuation too many
  EXPECT_FALSE(is_valid("\xe2\x99\xa5\x80"));
  EXPECT_EQ(count("\xf0\x9f\x8e\xb5\xb5"), std::nullopt);
}

TEST(utf8, is_valid_agrees_with_code_points) {
  for (std::string_view s : {"", "abc", "\xc3\xa9", "\xc3", "\x80", "\xed\xa0\x80", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_EQ(is_valid(s), code_points(s).has_value()) << s;
  }
}

}  // namespace
}  // namespace serenade::utf8
