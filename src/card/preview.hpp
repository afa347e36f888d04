#pragma once
// What a link preview (a chat app's or a social network's card) shows of a share link, as text and as the
// Open Graph and Twitter Card tags of the page's head. Only the two names and the song's length are shown,
// never the story or the lyrics.
#include <chrono>
#include <optional>
#include <string>

namespace serenade::card {

struct song_preview {
  std::string sender;
  std::string recipient;
  std::optional<std::chrono::milliseconds> duration;  // once the finished song's length is known
};

// Where the tags point. Absolute when the public URL is known, otherwise relative to the site (see README,
// "Link previews"); page_url is empty when it would be relative (og:url must be absolute).
struct preview_links {
  std::string page_url;
  std::string card_url;
  std::string audio_url;  // empty: no finished song to play
};

// "3:12", "1:02:03".
std::string clock_text(std::chrono::milliseconds duration);

// "A song for Ben"; for a link that names no song, Serenade's own title.
std::string preview_title(const std::optional<song_preview>& song);
// "Ana wrote you a song · 3:12" ("Ana wrote you a song" until its length is known); for a link that names no
// song, a sentence about Serenade with no name in it.
std::string preview_description(const std::optional<song_preview>& song);

// The <meta> tags, one a line, every value escaped for its attribute.
std::string preview_head_tags(const std::optional<song_preview>& song, const preview_links& links);

// Size of every card image, the one Open Graph and Twitter recommend for a large preview.
inline constexpr int card_width = 1200;
inline constexpr int card_height = 630;

}  // namespace serenade::card
