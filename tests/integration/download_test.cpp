// A finished song downloaded to keep: saved under the names of the people it is for, carrying its own ID3v2 tag
// (read back here with mutagen, another tag reader than the TagLib that wrote it), its audio the archived song's
// frames byte for byte, and the archived song and its ETag untouched.
#include "harness.hpp"

#include "archive/mp3_frames.hpp"
#include "core/hex.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace serenade::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

// What mutagen reads from the tag of the MP3 file at `path`: title, artist, lyrics, the cover's MIME type (or "")
// and the cover's bytes as hex.
json::object tags_read_by_mutagen(const std::string& path) {
  const std::string script =
      "import json, sys, binascii\n"
      "from mutagen.id3 import ID3\n"
      "tag = ID3(sys.argv[1])\n"
      "lyrics = tag.getall('USLT')\n"
      "covers = tag.getall('APIC')\n"
      "print(json.dumps({'title': str(tag['TIT2']), 'artist': str(tag['TPE1']),\n"
      "                  'lyrics': lyrics[0].text if lyrics else '', 'cover': covers[0].mime if covers else '',\n"
      "                  'cover_hex': binascii.hexlify(covers[0].data).decode() if covers else ''}))\n";
  // Debian's own Python, where python3-mutagen is installed (another python3 may come first on PATH).
  const std::string command = "/usr/bin/python3 -c \"$SCRIPT\" '" + path + "'";
  ::setenv("SCRIPT", script.c_str(), 1);
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    ::pclose(pipe);
  }
  return json::parse(out).as_object();
}

std::string save(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// The MP3 frames of a file, without any tag before or after them.
std::string frames_of(const std::string& file) {
  const auto scan = archive::scan_mp3(bytes_of(file));
  return file.substr(scan.audio_start, scan.audio_end - scan.audio_start);
}

TEST(download, a_finished_song_downloads_tagged_under_its_names_with_the_archived_audio) {
  stack s({.song_seconds = 4, .speed = 4, .expire_after = 0.5});
  auto form = form_json("Ana \U0001F496", "Ben", story_with("download"), "acoustic ballad");
  const auto session = std::string(s.api("POST", "/api/submissions", form).json().at("session_id").as_string());
  const auto state = s.wait_for_state(session, is_complete);
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1));
  const auto archived = s.api("GET", "/api/stream/" + session);
  ASSERT_EQ(archived.status, 200u);
  ASSERT_EQ(archived.body, s.simulator_final(s.task_for("download")));

  const auto download = s.api("GET", "/api/stream/" + session + "/download");
  ASSERT_EQ(download.status, 200u) << download.body;
  EXPECT_EQ(download.header("content-disposition"),
            "attachment; filename=\"For Ben - from Ana _.mp3\"; "
            "filename*=UTF-8''For%20Ben%20%E2%80%94%20from%20Ana%20%F0%9F%92%96.mp3");
  EXPECT_EQ(download.header("content-type"), "audio/mpeg");
  EXPECT_EQ(download.header("accept-ranges"), "bytes");
  EXPECT_NE(download.header("etag"), archived.header("etag"));
  EXPECT_EQ(download.body.substr(0, 3), "ID3");

  const auto tags = tags_read_by_mutagen(save(s.dir() + "/download.mp3", download.body));
  EXPECT_EQ(tags.at("title").as_string(), "For Ben");
  EXPECT_EQ(tags.at("artist").as_string(), "Ana \U0001F496 \u00B7 Serenade");
  const auto lyrics = state.contains("lyrics") && state.at("lyrics").is_string() ? state.at("lyrics").as_string()
                                                                                  : json::string();
  EXPECT_FALSE(lyrics.empty());
  EXPECT_EQ(tags.at("lyrics").as_string(), lyrics);
  // The cover is the song's share card, the picture its link previews with.
  EXPECT_EQ(tags.at("cover").as_string(), "image/png");
  const auto page = s.api("GET", "/s/" + session);
  const auto card_at = page.body.find("/s/" + session + "/card.png?v=");
  ASSERT_NE(card_at, std::string::npos);
  const auto card = s.api("GET", page.body.substr(card_at, page.body.find('"', card_at) - card_at));
  ASSERT_EQ(card.status, 200u);
  EXPECT_EQ(tags.at("cover_hex").as_string(), core::to_hex({reinterpret_cast<const unsigned char*>(card.body.data()), card.body.size()}));

  // The archived copy carries a tag of its own (the CDN's): the download has only its own, then the same frames.
  ASSERT_EQ(archived.body.substr(0, 3), "ID3");
  const auto tag_end = download.body.size() - frames_of(archived.body).size();
  EXPECT_EQ(download.body.substr(tag_end), frames_of(archived.body));
  EXPECT_EQ(archive::scan_mp3(bytes_of(download.body)).audio_start, tag_end);
  // One tag: its own header says it ends where the frames begin (the cover's bytes may hold "ID3" anywhere).
  ASSERT_EQ(download.body.substr(0, 3), "ID3");
  std::size_t declared = 0;
  for (std::size_t i = 6; i < 10; ++i) declared = declared << 7 | (static_cast<unsigned char>(download.body[i]) & 0x7f);
  const bool footer = (static_cast<unsigned char>(download.body[5]) & 0x10) != 0;
  EXPECT_EQ(10 + declared + (footer ? 10 : 0), tag_end) << "a second ID3v2 tag, or padding past the frames' start";

  // A range across the tag's end answers those bytes of the download.
  const auto first = tag_end - 10;
  const auto range = "bytes=" + std::to_string(first) + "-" + std::to_string(tag_end + 99);
  const auto part = s.api("GET", "/api/stream/" + session + "/download", "", {{"Range", range}});
  EXPECT_EQ(part.status, 206u);
  EXPECT_EQ(part.body, download.body.substr(first, 110));
  EXPECT_EQ(part.header("content-range"),
            "bytes " + std::to_string(first) + "-" + std::to_string(tag_end + 99) + "/" +
                std::to_string(download.body.size()));
  const auto revalidated =
      s.api("GET", "/api/stream/" + session + "/download", "", {{"If-None-Match", download.header("etag")}});
  EXPECT_EQ(revalidated.status, 304u);
  const auto head = s.api("HEAD", "/api/stream/" + session + "/download");
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.header("content-length"), std::to_string(download.body.size()));

  // The archived song is as it was.
  const auto after = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(after.header("etag"), archived.header("etag"));
  EXPECT_TRUE(after.body == archived.body);
}

TEST(download, a_song_not_finished_is_409_and_an_unknown_one_404) {
  stack s({.song_seconds = 20, .speed = 1});
  const auto session = s.submit("unfinished");
  const auto early = s.api("GET", "/api/stream/" + session + "/download");
  EXPECT_EQ(early.status, 409u);
  EXPECT_FALSE(std::string(early.json().at("detail").as_string()).empty());
  const auto unknown = s.api("GET", "/api/stream/AAAAAAAAAAAAAAAAAAAAAA/download");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(unknown.header("content-type"), "application/json");
}

}  // namespace
}  // namespace serenade::testing
