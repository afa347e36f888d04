#include "card/html_escape.hpp"

#include <gtest/gtest.h>

namespace serenade::card {
namespace {

TEST(html_escape, markup_characters_become_references) {
  EXPECT_EQ(escape_html(R"(<script>alert("x")</script> & 'y')"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
}

TEST(html_escape, plain_text_is_unchanged) {
  EXPECT_EQ(escape_html("Ana"), "Ana");
  EXPECT_EQ(escape_html(""), "");
}

TEST(html_escape, references_in_the_input_are_escaped_again) {
  EXPECT_EQ(escape_html("&amp;&#39;"), "&amp;amp;&amp;#39;");
}

TEST(html_escape, other_scripts_and_emoji_pass_through) {
  EXPECT_EQ(escape_html("מרים"), "מרים");
  EXPECT_EQ(escape_html("ليلى"), "ليلى");
  EXPECT_EQ(escape_html("Zoë 💖"), "Zoë 💖");
  EXPECT_EQ(escape_html("\u202Eevil"), "\u202Eevil");  // a direction mark is text, not markup
}

TEST(html_escape, whitespace_controls_become_spaces) {
  EXPECT_EQ(escape_html("a\tb\nc\rd"), "a b c d");
}

TEST(html_escape, other_controls_become_replacement_characters) {
  EXPECT_EQ(escape_html(std::string("a\0b", 3)), "a&#xFFFD;b");
  EXPECT_EQ(escape_html("\x1b[31m"), "&#xFFFD;[31m");
  EXPECT_EQ(escape_html("\x7f"), "&#xFFFD;");
  EXPECT_EQ(escape_html("\xc2\x85"), "&#xFFFD;");  // U+0085, a C1 control
  EXPECT_EQ(escape_html("\xc2\xa0"), "\xc2\xa0");  // U+00A0 is text
}

TEST(html_escape, bytes_that_are_not_utf8_become_replacement_characters) {
  EXPECT_EQ(escape_html("a\xffz"), "a&#xFFFD;z");
  EXPECT_EQ(escape_html("\xe2\x82"), "&#xFFFD;&#xFFFD;");    // cut short
  EXPECT_EQ(escape_html("\xc0\xbc"), "&#xFFFD;&#xFFFD;");    // overlong '<'
  EXPECT_EQ(escape_html("\xed\xa0\x80"), "&#xFFFD;&#xFFFD;&#xFFFD;");  // a surrogate
}

}  // namespace
}  // namespace serenade::card
