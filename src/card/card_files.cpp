#include "card/card_files.hpp"

#include "card/card_image.hpp"
#include "core/ids.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace serenade::card {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view png_signature = "\x89PNG\r\n\x1a\n";
constexpr std::string_view png_end = std::string_view("\0\0\0\0IEND\xae\x42\x60\x82", 12);

// A file cut short (a crash between write and rename can leave one) is drawn again rather than served.
bool whole_png(const std::string& bytes) {
  return bytes.starts_with(png_signature) && bytes.ends_with(png_end);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

bool write_whole(int fd, const std::string& bytes) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const auto n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    written += static_cast<std::size_t>(n);
  }
  return true;
}

// Writes under a name only this call uses, then renames: a reader sees no file or a whole one. Two instances
// drawing one card at once write the same bytes, so either rename may win.
void keep(const fs::path& path, const std::string& png) {
  std::error_code ec;
  fs::create_directory(path.parent_path(), ec);
  const auto temporary = path.parent_path() / (path.filename().string() + "." + ids::random_token() + ".tmp");
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const bool written = write_whole(fd, png);
  const bool closed = ::close(fd) == 0;
  if (!written || !closed || ::rename(temporary.c_str(), path.c_str()) != 0) fs::remove(temporary, ec);
}

}  // namespace

std::string card_variant(const song_preview& song) {
  auto variant = "v" + std::to_string(card_design_version);
  if (song.duration) variant += "-" + std::to_string(std::chrono::round<std::chrono::seconds>(*song.duration).count());
  return variant;
}

card_files::card_files(const std::string& archive_dir) : folder_(fs::path(archive_dir) / "cards") {}

std::string card_files::song_card(std::string_view session_id, const song_preview& song) {
  if (!ids::looks_like_token(session_id)) throw std::invalid_argument("not a session id");
  const auto path = folder_ / (std::string(session_id) + "." + card_variant(song) + ".png");
  auto kept = read_file(path);
  if (whole_png(kept)) return kept;
  auto png = render_card_png(song);
  keep(path, png);
  return png;
}

void card_files::forget(std::string_view session_id) {
  if (!ids::looks_like_token(session_id)) return;
  const auto prefix = std::string(session_id) + ".";
  std::error_code ec;
  for (fs::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with(prefix)) fs::remove(it->path(), ec);
  }
}

std::string card_files::nameless_card() {
  std::lock_guard lock(nameless_mutex_);
  if (nameless_.empty()) nameless_ = render_card_png(std::nullopt);
  return nameless_;
}

}  // namespace serenade::card
