#pragma once
// The share card: a 1200×630 PNG showing who the song is for, who wrote it and how long it is. Drawn with
// Pango on cairo: names are plain text (never markup), shaped and laid out in their own direction, in whatever
// installed font covers their script, and cut with an ellipsis where they would not fit.
#include "card/preview.hpp"

#include <optional>
#include <string>

namespace serenade::card {

// Bumped whenever the drawing changes, so that cards kept on disk and in link previews' caches are drawn anew.
inline constexpr int card_design_version = 1;

// The PNG bytes of the card for `song`, or of the card that names nobody. Blocking (fonts, drawing,
// compression): call it on a blocking pool. Thread-safe; cards are drawn one at a time.
std::string render_card_png(const std::optional<song_preview>& song);

}  // namespace serenade::card
