// A share link as a link-preview bot sees it: the page's head read without running a script, its Open Graph and
// Twitter Card tags with the song's names escaped, and the card image they point at.
#include "harness.hpp"

#include "card/testing/png_facts.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

namespace serenade::testing {
namespace {

const header_pairs as_a_preview_bot{{"User-Agent", "facebookexternalhit/1.1"}, {"Accept", "text/html"}};

// An attribute value as an HTML parser reads it, for the references the server writes.
std::string unescaped(std::string value) {
  static const std::pair<std::string, std::string> references[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&#xFFFD;", "\xef\xbf\xbd"}, {"&amp;", "&"}};
  for (const auto& [reference, text] : references) {
    for (auto at = value.find(reference); at != std::string::npos; at = value.find(reference, at + text.size())) {
      value.replace(at, reference.size(), text);
    }
  }
  return value;
}

std::string head_of(const std::string& page) {
  const auto end = page.find("</head>");
  return end == std::string::npos ? std::string() : page.substr(0, end);
}

// property or name → content, of every <meta> tag of the head. Every value must be quoted and hold no raw
// markup or quote, or the tag would not parse as one attribute. (Read by hand: GCC 12 under the sanitizers warns
// inside std::regex.)
std::map<std::string, std::string> meta_tags(const std::string& page) {
  std::map<std::string, std::string> tags;
  const auto head = head_of(page);
  for (auto at = head.find("<meta "); at != std::string::npos; at = head.find("<meta ", at + 1)) {
    const auto end = head.find('>', at);
    if (end == std::string::npos) break;
    const std::string_view tag(head.data() + at, end + 1 - at);
    const auto key_start = tag.find('"');
    const auto key_end = tag.find('"', key_start + 1);
    const auto content = tag.find(" content=\"", key_end);
    const bool named = tag.starts_with("<meta property=\"") || tag.starts_with("<meta name=\"");
    if (!named || content == std::string_view::npos || !tag.ends_with("\">")) continue;
    const std::string raw(tag.substr(content + 10, tag.size() - content - 12));
    EXPECT_EQ(raw.find_first_of("<>'\""), std::string::npos) << raw;
    tags[std::string(tag.substr(key_start + 1, key_end - key_start - 1))] = unescaped(raw);
  }
  return tags;
}

// 200, image/png, a header that says 1200×630, and an image libpng decodes whole at that size.
void expect_card(const http_reply& card, const std::string& what) {
  ASSERT_EQ(card.status, 200u) << what << " " << card.body;
  EXPECT_EQ(card.header("content-type"), "image/png") << what;
  EXPECT_NE(card.header("etag"), "") << what;
  EXPECT_NE(card.header("cache-control"), "") << what;
  const auto facts = card::testing::read_png(card.body);
  EXPECT_TRUE(facts.signature) << what;
  EXPECT_EQ(facts.header_width, 1200u) << what;
  EXPECT_EQ(facts.header_height, 630u) << what;
  EXPECT_TRUE(facts.decodes) << what;
  EXPECT_EQ(facts.width, 1200) << what;
  EXPECT_EQ(facts.height, 630) << what;
}

TEST(share_preview, a_finished_song_previews_with_its_escaped_names_and_its_card) {
  const auto port = free_loopback_port();
  stack s({}, webhook_receiver_args(port));
  const auto base = "http://127.0.0.1:" + std::to_string(port);
  const std::string sender = R"(Ana "the <b>bold</b>" O'Neil & co 💖)";
  const std::string recipient = "ליאור ليلى <script>alert(1)</script>";
  const auto created = s.api("POST", "/api/submissions", form_json(sender, recipient, story_with("preview"), "ballad"));
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string session(created.json().at("session_id").as_string());
  s.wait_for_state(session, is_complete);
  s.wait_for_metric(R"(serenade_finalisations_total{outcome="ok"})", at_least(1));

  const auto page = s.api("GET", "/s/" + session, {}, as_a_preview_bot);
  ASSERT_EQ(page.status, 200u);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(page.header("referrer-policy"), "no-referrer");
  const auto head = head_of(page.body);
  EXPECT_EQ(head.find("<b>"), std::string::npos) << head;
  EXPECT_EQ(head.find("<script>alert"), std::string::npos) << head;
  EXPECT_EQ(head.find("share-preview"), std::string::npos) << "the mark is replaced";

  const auto tags = meta_tags(page.body);
  EXPECT_EQ(tags.at("og:title"), "A song for " + recipient);
  EXPECT_EQ(tags.at("twitter:title"), "A song for " + recipient);
  // "<sender> wrote you a song · m:ss"
  const auto& description = tags.at("og:description");
  const std::string said = sender + " wrote you a song · ";
  ASSERT_TRUE(description.starts_with(said)) << description;
  const auto length = description.substr(said.size());
  const auto colon = length.find(':');
  ASSERT_NE(colon, std::string::npos) << description;
  EXPECT_GT(colon, 0u) << description;
  EXPECT_EQ(length.size(), colon + 3) << description;
  EXPECT_EQ(length.find_first_not_of("0123456789:"), std::string::npos) << description;
  EXPECT_LE(length[colon + 1], '5') << description;
  EXPECT_EQ(tags.at("og:type"), "music.song");
  EXPECT_EQ(tags.at("og:url"), base + "/s/" + session);
  EXPECT_EQ(tags.at("og:audio"), base + "/api/stream/" + session);
  EXPECT_EQ(tags.at("og:audio:type"), "audio/mpeg");
  EXPECT_EQ(tags.at("og:image:width"), "1200");
  EXPECT_EQ(tags.at("og:image:height"), "630");
  EXPECT_EQ(tags.at("twitter:card"), "summary_large_image");
  const auto image = tags.at("og:image");
  EXPECT_EQ(tags.at("twitter:image"), image);
  ASSERT_TRUE(image.starts_with(base + "/s/" + session + "/card.png?v=")) << image;

  const auto card_path = image.substr(base.size());
  const auto card = s.api("GET", card_path, {}, as_a_preview_bot);
  expect_card(card, card_path);
  EXPECT_TRUE(card.header("cache-control").starts_with("private")) << "a shared cache keeps no names";

  const auto head_only = s.api("HEAD", card_path);
  EXPECT_EQ(head_only.status, 200u);
  EXPECT_EQ(head_only.header("content-length"), std::to_string(card.body.size()));
  EXPECT_EQ(head_only.body, "");
  const auto again = s.api("GET", card_path, {}, {{"If-None-Match", card.header("etag")}});
  EXPECT_EQ(again.status, 304u);

  // Drawn once and kept beside the songs; asked again, the same bytes.
  const auto variant = card_path.substr(card_path.find("?v=") + 3);
  EXPECT_TRUE(std::filesystem::exists(s.dir() + "/archive/cards/" + session + "." + variant + ".png"));
  EXPECT_EQ(s.api("GET", card_path).body, card.body);
}

TEST(share_preview, an_unknown_link_previews_with_no_names) {
  stack s;
  const std::string unknown = "AAAAAAAAAAAAAAAAAAAAAA";
  for (const auto& target : {"/s/" + unknown, std::string("/s/not-a-session-id")}) {
    const auto page = s.api("GET", target, {}, as_a_preview_bot);
    ASSERT_EQ(page.status, 200u) << target;
    const auto tags = meta_tags(page.body);
    EXPECT_EQ(tags.at("og:type"), "website") << target;
    EXPECT_EQ(tags.at("og:image"), "/card.png") << "relative without a public URL";
    EXPECT_EQ(tags.count("og:audio"), 0u) << target;
    EXPECT_EQ(tags.count("og:url"), 0u) << target;
    EXPECT_EQ(tags.at("og:title").find("A song for"), std::string::npos) << tags.at("og:title");
  }
  expect_card(s.api("GET", "/card.png"), "/card.png");
  const auto unknown_card = s.api("GET", "/s/" + unknown + "/card.png");
  expect_card(unknown_card, "an unknown song's card");
  EXPECT_EQ(unknown_card.body, s.api("GET", "/card.png").body) << "the card that names nobody";
  EXPECT_FALSE(std::filesystem::exists(s.dir() + "/archive/cards")) << "no file for a song that does not exist";
}

TEST(share_preview, a_song_still_being_written_previews_without_audio) {
  stack s({.song_seconds = 20, .speed = 1});
  const auto session = s.submit("unfinished preview");
  const auto tags = meta_tags(s.api("GET", "/s/" + session, {}, as_a_preview_bot).body);
  EXPECT_EQ(tags.at("og:title"), "A song for Ben");
  EXPECT_EQ(tags.at("og:description"), "Ana wrote you a song");
  EXPECT_EQ(tags.count("og:audio"), 0u);
  EXPECT_EQ(tags.at("og:image"), "/s/" + session + "/card.png?v=v1");
  expect_card(s.api("GET", tags.at("og:image")), "an unfinished song's card");
}

}  // namespace
}  // namespace serenade::testing
