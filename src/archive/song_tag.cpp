#include "archive/song_tag.hpp"

#include <taglib/attachedpictureframe.h>
#include <taglib/id3v2tag.h>
#include <taglib/unsynchronizedlyricsframe.h>

namespace serenade::archive {

namespace {
TagLib::String utf8(const std::string& text) { return TagLib::String(text, TagLib::String::UTF8); }
TagLib::ByteVector bytes_of(const std::string& bytes) {
  return TagLib::ByteVector(bytes.data(), static_cast<unsigned>(bytes.size()));
}
}  // namespace

std::string render_song_tag(const song_tag_fields& fields) {
  TagLib::ID3v2::Tag tag;
  tag.setTitle(utf8(fields.title));
  tag.setArtist(utf8(fields.artist));
  if (!fields.lyrics.empty()) {
    // The tag owns its frames and deletes them.
    auto* lyrics = new TagLib::ID3v2::UnsynchronizedLyricsFrame(TagLib::String::UTF8);
    lyrics->setLanguage("und");
    lyrics->setText(utf8(fields.lyrics));
    tag.addFrame(lyrics);
  }
  if (!fields.cover_png.empty()) {
    auto* cover = new TagLib::ID3v2::AttachedPictureFrame;
    cover->setTextEncoding(TagLib::String::UTF8);
    cover->setMimeType("image/png");
    cover->setType(TagLib::ID3v2::AttachedPictureFrame::FrontCover);
    cover->setPicture(bytes_of(fields.cover_png));
    tag.addFrame(cover);
  }
  const auto rendered = tag.render();
  return std::string(rendered.data(), rendered.size());
}

}  // namespace serenade::archive
