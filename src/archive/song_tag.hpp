#pragma once
// The ID3v2 tag a finished song's download carries: who it is for, who sent it, its lyrics and its cover.
// Rendered by TagLib, so the frames are what every player and tag reader expects.
#include <string>

namespace serenade::archive {

struct song_tag_fields {
  std::string title;      // TIT2, e.g. "For Ben"
  std::string artist;     // TPE1, e.g. "Ana · Serenade"
  std::string lyrics;     // USLT; left out when empty
  std::string cover_png;  // APIC front cover; left out when empty
};

// An ID3v2.4 tag, whole (header, frames, padding), all text in UTF-8.
std::string render_song_tag(const song_tag_fields& fields);

}  // namespace serenade::archive
