#include "core/log.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

namespace serenade::log {
namespace {

TEST(format_event, writes_key_value_pairs_quoting_where_needed) {
  const std::string line = format_event("stream_end", "session", "abc", "bytes", 42, "ok", true, "text", "two words",
                                        "q", "say \"hi\"", "nl", "a\nb", "empty", "");
  EXPECT_EQ(line,
            R"(event=stream_end session=abc bytes=42 ok=true text="two words" q="say \"hi\"" nl="a\nb" empty="")");
}

TEST(format_event, an_event_alone_is_one_pair) { EXPECT_EQ(format_event("started"), "event=started"); }

TEST(format_event, every_string_kind_is_written_alike) {
  const std::string s = "std";
  const std::string_view v = "view";
  const char* p = "pointer";
  EXPECT_EQ(format_event("e", "a", s, "b", v, "c", p), "event=e a=std b=view c=pointer");
  EXPECT_EQ(format_event("e", "a", std::string("x y")), R"(event=e a="x y")");
  EXPECT_EQ(format_event("e", "a", std::string_view("")), R"(event=e a="")");
}

TEST(format_event, numbers_are_written_in_full) {
  EXPECT_EQ(format_event("e", "n", -7), "event=e n=-7");
  EXPECT_EQ(format_event("e", "n", 0u), "event=e n=0");
  EXPECT_EQ(format_event("e", "n", std::numeric_limits<std::uint64_t>::max()), "event=e n=18446744073709551615");
  EXPECT_EQ(format_event("e", "n", std::numeric_limits<std::int64_t>::min()), "event=e n=-9223372036854775808");
  EXPECT_EQ(format_event("e", "x", 1.5), "event=e x=1.5");
  EXPECT_EQ(format_event("e", "x", 0.25f), "event=e x=0.25");
}

TEST(format_event, booleans_are_written_as_words) {
  EXPECT_EQ(format_event("e", "a", true, "b", false), "event=e a=true b=false");
}

TEST(format_event, plain_values_stay_unquoted) {
  EXPECT_EQ(format_event("e", "url", "https://x.example/a?b&c", "path", "/api/stream/abc-_", "colon", "a:b"),
            "event=e url=https://x.example/a?b&c path=/api/stream/abc-_ colon=a:b");
  // Non-ASCII UTF-8 is printable and passes through untouched.
  EXPECT_EQ(format_event("e", "name", "Ren\xc3\xa9\xe2\x99\xa5"), "event=e name=Ren\xc3\xa9\xe2\x99\xa5");
}

TEST(format_event, equals_sign_quoted) { EXPECT_EQ(format_event("e", "k", "a=b"), R"(event=e k="a=b")"); }

TEST(format_event, backslash_quoted_and_escaped) {
  EXPECT_EQ(format_event("e", "k", "C:\\dir"), R"(event=e k="C:\\dir")");
  EXPECT_EQ(format_event("e", "k", "\\"), R"(event=e k="\\")");
}

TEST(format_event, quote_only_value) { EXPECT_EQ(format_event("e", "k", "\""), R"(event=e k="\"")"); }

TEST(format_event, control_characters_escaped) {
  EXPECT_EQ(format_event("e", "k", "a\rb"), R"(event=e k="a\rb")");
  EXPECT_EQ(format_event("e", "k", "a\tb"), R"(event=e k="a\tb")");
  EXPECT_EQ(format_event("e", "k", "a\x01" "b"), R"(event=e k="a\x01b")");
  EXPECT_EQ(format_event("e", "k", "\x1b[31m"), R"(event=e k="\x1b[31m")");
  EXPECT_EQ(format_event("e", "k", std::string_view("a\0b", 3)), R"(event=e k="a\x00b")");
}

TEST(format_event, leading_and_trailing_spaces_quoted) {
  EXPECT_EQ(format_event("e", "k", " x"), R"(event=e k=" x")");
  EXPECT_EQ(format_event("e", "k", "x "), R"(event=e k="x ")");
}

TEST(format_event, injection_stays_on_one_line) {
  const std::string line = format_event("e", "user", "bob\nevent=forged level=error");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line, R"(event=e user="bob\nevent=forged level=error")");
}

TEST(setup, unknown_level_refused) {
  EXPECT_FALSE(setup("loud"));
  EXPECT_FALSE(setup(""));
  EXPECT_FALSE(setup("INFO-ish"));
}

TEST(setup, known_levels_configure_the_default_logger) {
  const auto previous = spdlog::default_logger();
  ASSERT_TRUE(setup("warn"));
  EXPECT_EQ(spdlog::default_logger()->name(), "serenade");
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  EXPECT_FALSE(spdlog::should_log(spdlog::level::info));
  EXPECT_TRUE(spdlog::should_log(spdlog::level::err));
  spdlog::drop("serenade");

  // "off" is what spdlog also returns for unknown names; asked for explicitly it is accepted.
  ASSERT_TRUE(setup("off"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::off);
  spdlog::drop("serenade");

  ASSERT_TRUE(setup("trace"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::trace);
  spdlog::drop("serenade");
  spdlog::set_default_logger(previous);
}

TEST(describe, names_what_an_exception_says) {
  EXPECT_EQ(describe(nullptr), "");
  EXPECT_EQ(describe(std::make_exception_ptr(std::runtime_error("disk full"))), "disk full");
  EXPECT_EQ(describe(std::make_exception_ptr(42)), "unknown");
}

}  // namespace
}  // namespace serenade::log
