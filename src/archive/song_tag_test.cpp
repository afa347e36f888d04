#include "archive/song_tag.hpp"

#include <gtest/gtest.h>

#include <taglib/attachedpictureframe.h>
#include <taglib/id3v2tag.h>
#include <taglib/mpegfile.h>
#include <taglib/tbytevectorstream.h>
#include <taglib/unsynchronizedlyricsframe.h>

namespace serenade::archive {
namespace {

// TagLib reads the tag back the way a player would, from the front of an MP3 stream.
struct read_back {
  explicit read_back(const std::string& tag)
      : stream(TagLib::ByteVector(tag.data(), static_cast<unsigned>(tag.size()))),
        file(&stream, TagLib::ID3v2::FrameFactory::instance()) {}
  TagLib::ID3v2::Tag& tag() { return *file.ID3v2Tag(); }
  TagLib::ByteVectorStream stream;
  TagLib::MPEG::File file;
};

std::string utf8_of(const TagLib::String& text) { return text.to8Bit(true); }

TEST(song_tag, title_artist_and_lyrics_read_back_in_utf8) {
  const auto rendered = render_song_tag({.title = "For Ben \U0001F496", .artist = "Ana \u00B7 Serenade",
                                         .lyrics = "Under the rain in Lisbon\nwe shared an umbrella"});
  ASSERT_EQ(rendered.substr(0, 3), "ID3");
  read_back back(rendered);
  ASSERT_TRUE(back.file.hasID3v2Tag());
  EXPECT_EQ(utf8_of(back.tag().title()), "For Ben \U0001F496");
  EXPECT_EQ(utf8_of(back.tag().artist()), "Ana \u00B7 Serenade");
  const auto& lyrics = back.tag().frameListMap()["USLT"];
  ASSERT_EQ(lyrics.size(), 1u);
  const auto* frame = dynamic_cast<TagLib::ID3v2::UnsynchronizedLyricsFrame*>(lyrics.front());
  ASSERT_NE(frame, nullptr);
  EXPECT_EQ(utf8_of(frame->text()), "Under the rain in Lisbon\nwe shared an umbrella");
  EXPECT_TRUE(back.tag().frameListMap()["APIC"].isEmpty());
}

TEST(song_tag, a_cover_is_the_front_cover_picture) {
  const std::string png = "\x89PNG\r\n\x1a\n not really an image";
  read_back back(render_song_tag({.title = "For Ben", .artist = "Ana", .cover_png = png}));
  const auto& pictures = back.tag().frameListMap()["APIC"];
  ASSERT_EQ(pictures.size(), 1u);
  const auto* cover = dynamic_cast<TagLib::ID3v2::AttachedPictureFrame*>(pictures.front());
  ASSERT_NE(cover, nullptr);
  EXPECT_EQ(cover->mimeType(), "image/png");
  EXPECT_EQ(cover->type(), TagLib::ID3v2::AttachedPictureFrame::FrontCover);
  EXPECT_EQ(std::string(cover->picture().data(), cover->picture().size()), png);
  EXPECT_TRUE(back.tag().frameListMap()["USLT"].isEmpty());
}

}  // namespace
}  // namespace serenade::archive
