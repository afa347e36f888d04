#include "card/preview.hpp"

#include "card/html_escape.hpp"

#include <fmt/format.h>

namespace serenade::card {

namespace {

void add_meta(std::string& out, std::string_view key, std::string_view name, std::string_view value) {
  fmt::format_to(std::back_inserter(out), "  <meta {}=\"{}\" content=\"{}\">\n", key, name, escape_html(value));
}

void add_property(std::string& out, std::string_view property, std::string_view value) {
  add_meta(out, "property", property, value);
}

void add_name(std::string& out, std::string_view name, std::string_view value) {
  add_meta(out, "name", name, value);
}

}  // namespace

std::string clock_text(std::chrono::milliseconds duration) {
  const auto total = std::chrono::round<std::chrono::seconds>(duration).count();
  const auto seconds = total % 60;
  const auto minutes = total / 60 % 60;
  const auto hours = total / 3600;
  if (hours > 0) return fmt::format("{}:{:02}:{:02}", hours, minutes, seconds);
  return fmt::format("{}:{:02}", minutes, seconds);
}

std::string preview_title(const std::optional<song_preview>& song) {
  if (!song) return "Serenade — a song for someone you love";
  return "A song for " + song->recipient;
}

std::string preview_description(const std::optional<song_preview>& song) {
  if (!song) return "A love song, written and sung for one person.";
  auto text = song->sender + " wrote you a song";
  if (song->duration) text += " · " + clock_text(*song->duration);
  return text;
}

std::string preview_head_tags(const std::optional<song_preview>& song, const preview_links& links) {
  const auto title = preview_title(song);
  const auto description = preview_description(song);
  const auto image_alt = song ? title + ", from " + song->sender : std::string("Serenade");
  std::string out;
  add_property(out, "og:site_name", "Serenade");
  add_property(out, "og:title", title);
  add_property(out, "og:description", description);
  add_property(out, "og:type", song ? "music.song" : "website");
  if (!links.page_url.empty()) add_property(out, "og:url", links.page_url);
  add_property(out, "og:image", links.card_url);
  add_property(out, "og:image:type", "image/png");
  add_property(out, "og:image:width", std::to_string(card_width));
  add_property(out, "og:image:height", std::to_string(card_height));
  add_property(out, "og:image:alt", image_alt);
  if (song && song->duration) {
    add_property(out, "music:duration", std::to_string(std::chrono::round<std::chrono::seconds>(*song->duration).count()));
  }
  if (song && !links.audio_url.empty()) {
    add_property(out, "og:audio", links.audio_url);
    add_property(out, "og:audio:type", "audio/mpeg");
  }
  add_name(out, "twitter:card", "summary_large_image");
  add_name(out, "twitter:title", title);
  add_name(out, "twitter:description", description);
  add_name(out, "twitter:image", links.card_url);
  add_name(out, "twitter:image:alt", image_alt);
  add_name(out, "description", description);
  return out;
}

}  // namespace serenade::card
