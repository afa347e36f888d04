#pragma once
// A finished song downloaded with its names, lyrics and cover, while the archived file and its ETag never change:
// the download is the song's own ID3v2 tag followed by the archived song's MP3 frames (any tag the archived file
// carries is left out, so the download has exactly one). The tag is rendered once and kept beside the song
// (<archive>/<id>.download-tag), with what it was made from, so later downloads only read it. It is derived
// data: written under a temporary name and renamed, remade whenever it is missing, damaged or stale.
// Blocking (TagLib, file I/O): run it on the disk pool.
#include "archive/song_check.hpp"
#include "archive/song_tag.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace serenade::archive {

struct tagged_download {
  std::string tag;      // the ID3v2 tag, whole: the download's first bytes
  audio_frames frames;  // the archived song's bytes that follow it
  std::string etag;     // quoted and strong; differs from the archived song's, and with every different tag
  // When this tag was made (its kept file's mtime): the download's Last-Modified, so that an If-Range by date never
  // joins ranges of two different tags.
  std::int64_t made_unix = 0;
};

struct download_source {
  std::string archive_dir;
  std::string session_id;
  std::string song_path;    // the archived song
  std::string song_sha256;  // its SHA-256 (lowercase hex), as the store recorded it
  song_tag_fields fields;   // the cover is the song's share card (card/), or none
};

// Nullopt when the song cannot be read or is not a complete MP3. Throws nothing for an unwritable folder: the
// tag is then made again next time.
std::optional<tagged_download> prepare_tagged_download(download_source source);

}  // namespace serenade::archive
