#include "archive/tagged_download.hpp"

#include "archive/paths.hpp"
#include "archive/write_all.hpp"
#include "core/sha256.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>

namespace serenade::archive {

namespace {

// Bumped when the tag's layout changes, so kept tags of an older layout are remade.
constexpr std::string_view kept_tag_format = "serenade-download-tag 1";

std::optional<std::string> read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return bytes;
}

// What the tag is made of, hashed: a kept tag made of anything else (another copy of the song, a cover that
// appeared since, lyrics known since) is stale. Each field is length-prefixed so no two inputs hash alike.
std::string ingredients_key(const std::string& song_sha256, const song_tag_fields& fields) {
  std::string all;
  for (const auto* part : {&song_sha256, &fields.title, &fields.artist, &fields.lyrics, &fields.cover_png}) {
    all += std::to_string(part->size());
    all += ':';
    all += *part;
  }
  return core::sha256_hex(all);
}

// The kept file: one line "<format> <key> <frames start> <frames end> <tag size> <tag SHA-256>", then the tag.
std::string kept_file(const std::string& key, const tagged_download& download) {
  std::ostringstream line;
  line << kept_tag_format << ' ' << key << ' ' << download.frames.start << ' ' << download.frames.end << ' '
       << download.tag.size() << ' ' << core::sha256_hex(download.tag) << '\n';
  return line.str() + download.tag;
}

std::optional<tagged_download> read_kept(const std::string& path, const std::string& key) {
  const auto kept = read_whole(path);
  if (!kept) return std::nullopt;
  const auto line_end = kept->find('\n');
  if (line_end == std::string::npos) return std::nullopt;
  std::istringstream line(kept->substr(0, line_end));
  std::string format_name, format_version, kept_key, tag_sha256;
  tagged_download download;
  std::size_t tag_size = 0;
  line >> format_name >> format_version >> kept_key >> download.frames.start >> download.frames.end >> tag_size >>
      tag_sha256;
  if (!line || format_name + " " + format_version != kept_tag_format || kept_key != key) return std::nullopt;
  // A file cut short or damaged (a crash while it was written, never fsynced) is remade, never served.
  if (kept->size() - line_end - 1 != tag_size) return std::nullopt;
  download.tag = kept->substr(line_end + 1);
  if (core::sha256_hex(download.tag) != tag_sha256) return std::nullopt;
  return download;
}

// Written under a temporary name and renamed: a reader sees the old file or the new one, never half of one.
void keep(const std::string& archive_dir, const std::string& session_id, const std::string& contents) {
  const auto temporary = temporary_path_for(archive_dir, session_id);
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const bool written = !write_all(fd, contents).error;
  ::close(fd);
  if (!written || std::rename(temporary.c_str(), download_tag_path(archive_dir, session_id).c_str()) != 0) {
    ::unlink(temporary.c_str());
  }
}

}  // namespace

std::optional<tagged_download> prepare_tagged_download(download_source source) {
  const auto key = ingredients_key(source.song_sha256, source.fields);
  const auto kept_path = download_tag_path(source.archive_dir, source.session_id);
  auto download = read_kept(kept_path, key);
  if (!download) {
    const auto frames = audio_frames_of(source.song_path);
    if (!frames) return std::nullopt;
    download.emplace();
    download->frames = *frames;
    download->tag = render_song_tag(source.fields);
    keep(source.archive_dir, source.session_id, kept_file(key, *download));
  }
  download->etag = "\"" + source.song_sha256 + "-" + key.substr(0, 16) + "\"";
  struct stat kept {};
  download->made_unix = ::stat(kept_path.c_str(), &kept) == 0 ? kept.st_mtim.tv_sec : std::time(nullptr);
  return download;
}

}  // namespace serenade::archive
