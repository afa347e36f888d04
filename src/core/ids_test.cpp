#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

namespace serenade::ids {
namespace {

constexpr std::string_view base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

TEST(random_token, is22_base64_url_characters) {
  for (int i = 0; i < 200; ++i) {
    const std::string t = random_token();
    ASSERT_EQ(t.size(), 22u) << t;
    for (char c : t) {
      ASSERT_NE(base64url.find(c), std::string_view::npos) << "bad character '" << c << "' in " << t;
    }
    EXPECT_EQ(t.find('='), std::string::npos);  // no padding
  }
}

TEST(random_token, last_character_carries_only_two_bits) {
  // 128 bits = 21 * 6 + 2: the final character holds two bits followed by four zero bits.
  for (int i = 0; i < 200; ++i) {
    const std::string t = random_token();
    ASSERT_EQ(t.size(), 22u);
    EXPECT_NE(std::string_view("AQgw").find(t.back()), std::string_view::npos) << t;
  }
}

TEST(random_token, thousand_tokens_all_distinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(random_token());
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(random_token, uses_the_whole_alphabet) {
  // 1000 tokens give 21000 uniformly drawn characters; missing any of the 64 is practically impossible
  // unless the encoder never produces it (e.g. '-' and '_', the URL-safe ones).
  std::set<char> used;
  for (int i = 0; i < 1000; ++i) {
    const std::string t = random_token();
    used.insert(t.begin(), t.end() - 1);
  }
  EXPECT_EQ(used.size(), 64u);
  EXPECT_TRUE(used.count('-'));
  EXPECT_TRUE(used.count('_'));
  EXPECT_FALSE(used.count('+'));
  EXPECT_FALSE(used.count('/'));
}

TEST(looks_like_token, accepts_generated_tokens) {
  for (int i = 0; i < 1000; ++i) {
    const std::string t = random_token();
    ASSERT_TRUE(looks_like_token(t)) << t;
  }
}

TEST(looks_like_token, accepts_any22_alphabet_characters) {
  EXPECT_TRUE(looks_like_token("AAAAAAAAAAAAAAAAAAAAAA"));
  EXPECT_TRUE(looks_like_token("abcdefghijklmnopqrstuv"));
  EXPECT_TRUE(looks_like_token("0123456789-_0123456789"));
  EXPECT_TRUE(looks_like_token("__________------------"));
}

TEST(looks_like_token, refuses_wrong_length) {
  EXPECT_FALSE(looks_like_token(""));
  EXPECT_FALSE(looks_like_token("A"));
  EXPECT_FALSE(looks_like_token("AAAAAAAAAAAAAAAAAAAAA"));    // 21
  EXPECT_FALSE(looks_like_token("AAAAAAAAAAAAAAAAAAAAAAA"));  // 23
  const std::string t = random_token();
  EXPECT_FALSE(looks_like_token(t.substr(0, 21)));
  EXPECT_FALSE(looks_like_token(t + "A"));
  EXPECT_FALSE(looks_like_token(t + t));
}

TEST(looks_like_token, refuses_bad_characters) {
  const std::string good = "AAAAAAAAAAAAAAAAAAAAAA";
  for (char bad : {'+', '/', '=', '.', ' ', '%', '~', '\0', '\n', '"', '\'', '\\', '\x80', '\xff'}) {
    for (std::size_t at : {std::size_t{0}, std::size_t{10}, std::size_t{21}}) {
      std::string t = good;
      t[at] = bad;
      ASSERT_EQ(t.size(), 22u);
      EXPECT_FALSE(looks_like_token(t)) << "character " << static_cast<int>(static_cast<unsigned char>(bad))
                                        << " at " << at;
    }
  }
  EXPECT_FALSE(looks_like_token("AAAAAAAAAAAAAAAAAAAAA\xc3"));
  EXPECT_FALSE(looks_like_token("../../../../etc/passwd"));  // 22 characters, path junk
}

}  // namespace
}  // namespace serenade::ids
