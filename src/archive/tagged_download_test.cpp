#include "archive/tagged_download.hpp"

#include "archive/paths.hpp"
#include "archive/testing/fake_frames.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace serenade::archive {
namespace {

namespace fs = std::filesystem;

std::string frames(int count) { return testing::fake_frames(count); }

class tagged_download_test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "serenade-tagged-download-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
  }
  void TearDown() override { fs::remove_all(dir); }

  void write(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

  download_source source() {
    return {dir, "song", final_path(dir, "song"), "ab12", {.title = "For Ben", .artist = "Ana", .lyrics = "la"}};
  }

  std::string dir;
};

TEST_F(tagged_download_test, the_archived_tag_is_left_out_and_the_frames_follow_the_new_tag) {
  const auto audio = frames(5);
  const auto old_tag = render_song_tag({.title = "CDN title", .artist = "CDN"});
  write(final_path(dir, "song"), old_tag + audio);
  const auto download = prepare_tagged_download(source());
  ASSERT_TRUE(download);
  EXPECT_EQ(download->frames.start, old_tag.size());
  EXPECT_EQ(download->frames.end, old_tag.size() + audio.size());
  EXPECT_EQ(download->tag.substr(0, 3), "ID3");
  EXPECT_TRUE(download->etag.starts_with("\"ab12-")) << download->etag;
  EXPECT_TRUE(fs::exists(download_tag_path(dir, "song")));
}

TEST_F(tagged_download_test, the_kept_tag_is_read_again_until_what_it_was_made_of_changes) {
  write(final_path(dir, "song"), frames(3));
  const auto first = prepare_tagged_download(source());
  ASSERT_TRUE(first);
  // The song is not read again for a kept tag: a damaged song file no longer matters.
  write(final_path(dir, "song"), "not an mp3");
  const auto again = prepare_tagged_download(source());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->tag, first->tag);
  EXPECT_EQ(again->etag, first->etag);
  EXPECT_EQ(again->frames.end, first->frames.end);

  write(final_path(dir, "song"), frames(4));
  auto covered = source();
  covered.fields.cover_png = "\x89PNG cover";
  const auto with_cover = prepare_tagged_download(covered);
  ASSERT_TRUE(with_cover);
  EXPECT_NE(with_cover->etag, first->etag);
  EXPECT_NE(with_cover->tag.find("image/png"), std::string::npos);
  EXPECT_EQ(with_cover->frames.end, 4u * 417u);
}

TEST_F(tagged_download_test, a_kept_tag_cut_short_is_made_again) {
  write(final_path(dir, "song"), frames(3));
  const auto first = prepare_tagged_download(source());
  ASSERT_TRUE(first);
  fs::resize_file(download_tag_path(dir, "song"), fs::file_size(download_tag_path(dir, "song")) - 5);
  const auto again = prepare_tagged_download(source());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->tag, first->tag);
}

TEST_F(tagged_download_test, a_kept_tag_with_damaged_bytes_is_made_again) {
  write(final_path(dir, "song"), frames(3));
  const auto first = prepare_tagged_download(source());
  ASSERT_TRUE(first);
  const auto kept_path = download_tag_path(dir, "song");
  std::fstream kept(kept_path, std::ios::in | std::ios::out | std::ios::binary);
  kept.seekp(static_cast<std::streamoff>(fs::file_size(kept_path) - 1));
  kept.put('\x7f');
  kept.close();
  const auto again = prepare_tagged_download(source());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->tag, first->tag);
}

TEST_F(tagged_download_test, a_song_that_is_not_mp3_has_no_download) {
  write(final_path(dir, "song"), "not an mp3");
  EXPECT_FALSE(prepare_tagged_download(source()));
}

}  // namespace
}  // namespace serenade::archive
