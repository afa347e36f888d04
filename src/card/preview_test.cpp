#include "card/preview.hpp"

#include <gtest/gtest.h>

namespace serenade::card {
namespace {

using namespace std::chrono_literals;

const preview_links links{"https://serenade.example/s/abc", "https://serenade.example/s/abc/card.png?v=v1-192",
                          "https://serenade.example/api/stream/abc"};

TEST(preview, clock_text_is_minutes_and_seconds) {
  EXPECT_EQ(clock_text(192'000ms), "3:12");
  EXPECT_EQ(clock_text(59'600ms), "1:00");
  EXPECT_EQ(clock_text(5'000ms), "0:05");
  EXPECT_EQ(clock_text(3'723'000ms), "1:02:03");
}

TEST(preview, a_song_is_titled_by_its_names) {
  const song_preview song{"Ana", "Ben", 192'000ms};
  EXPECT_EQ(preview_title(song), "A song for Ben");
  EXPECT_EQ(preview_description(song), "Ana wrote you a song · 3:12");
  EXPECT_EQ(preview_description(song_preview{"Ana", "Ben", std::nullopt}), "Ana wrote you a song");
}

TEST(preview, a_finished_song_has_its_tags) {
  const auto tags = preview_head_tags(song_preview{"Ana", "Ben", 192'000ms}, links);
  EXPECT_NE(tags.find(R"(<meta property="og:title" content="A song for Ben">)"), std::string::npos) << tags;
  EXPECT_NE(tags.find(R"(<meta property="og:description" content="Ana wrote you a song · 3:12">)"),
            std::string::npos);
  EXPECT_NE(tags.find(R"(<meta property="og:type" content="music.song">)"), std::string::npos);
  EXPECT_NE(tags.find(R"(<meta property="og:url" content="https://serenade.example/s/abc">)"), std::string::npos);
  EXPECT_NE(tags.find(R"(<meta property="og:image" content="https://serenade.example/s/abc/card.png?v=v1-192">)"),
            std::string::npos);
  EXPECT_NE(tags.find(R"(<meta property="og:audio" content="https://serenade.example/api/stream/abc">)"),
            std::string::npos);
  EXPECT_NE(tags.find(R"(<meta property="og:audio:type" content="audio/mpeg">)"), std::string::npos);
  EXPECT_NE(tags.find(R"(<meta name="twitter:card" content="summary_large_image">)"), std::string::npos);
  EXPECT_NE(tags.find(R"(<meta name="twitter:title" content="A song for Ben">)"), std::string::npos);
}

TEST(preview, names_are_escaped_in_every_tag) {
  const auto tags = preview_head_tags(song_preview{R"(A"na<b>)", "Ben' & <i>", std::nullopt}, links);
  EXPECT_NE(tags.find(R"(content="A song for Ben&#39; &amp; &lt;i&gt;")"), std::string::npos) << tags;
  EXPECT_NE(tags.find(R"(content="A&quot;na&lt;b&gt; wrote you a song")"), std::string::npos) << tags;
  EXPECT_EQ(tags.find("<b>"), std::string::npos);
  EXPECT_EQ(tags.find("<i>"), std::string::npos);
}

TEST(preview, no_audio_until_the_song_is_finished) {
  auto unfinished = links;
  unfinished.audio_url.clear();
  const auto tags = preview_head_tags(song_preview{"Ana", "Ben", std::nullopt}, unfinished);
  EXPECT_EQ(tags.find("og:audio"), std::string::npos);
  EXPECT_EQ(tags.find("music:duration"), std::string::npos);
}

TEST(preview, a_link_that_names_no_song_shows_no_names) {
  const auto tags = preview_head_tags(std::nullopt, {"", "/card.png", ""});
  EXPECT_NE(tags.find(R"(<meta property="og:type" content="website">)"), std::string::npos) << tags;
  EXPECT_NE(tags.find(R"(<meta property="og:image" content="/card.png">)"), std::string::npos);
  EXPECT_EQ(tags.find("og:url"), std::string::npos);
  EXPECT_EQ(tags.find("og:audio"), std::string::npos);
  EXPECT_EQ(tags.find("wrote you"), std::string::npos);
}

}  // namespace
}  // namespace serenade::card
