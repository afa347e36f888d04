#include "archive/song_check.hpp"

#include "archive/mp3_frames.hpp"
#include "core/sha256.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <span>

namespace serenade::archive {

namespace {

// The file mapped read-only: the frame walk and the hash read the page cache directly, so checking a song
// costs no heap however long it is (a copy in memory held the whole song, twice over while it grew).
class mapped_file {
 public:
  explicit mapped_file(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    struct stat st {};
    if (fd_ < 0 || ::fstat(fd_, &st) != 0) return;
    size_ = static_cast<std::size_t>(st.st_size);
    ok_ = true;
    if (size_ == 0) return;
    void* at = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (at == MAP_FAILED) {
      ok_ = false;
      return;
    }
    data_ = static_cast<const std::uint8_t*>(at);
    ::madvise(at, size_, MADV_SEQUENTIAL);
  }
  ~mapped_file() {
    if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;

  bool opened() const { return fd_ >= 0; }
  bool ok() const { return ok_; }
  std::span<const std::uint8_t> bytes() const { return {data_, data_ ? size_ : 0}; }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::size_t size_ = 0;
  const std::uint8_t* data_ = nullptr;
};

}  // namespace

song_check check_song_file(const std::string& path) {
  // Only files Serenade wrote and no longer writes are checked, so none shrinks under the mapping.
  const mapped_file file(path);
  if (!file.opened()) return {std::nullopt, "cannot open " + path};
  if (!file.ok()) return {std::nullopt, "cannot read " + path};
  const auto bytes = file.bytes();
  const auto scan = scan_mp3(bytes);
  if (!scan.complete) return {std::nullopt, scan.problem.empty() ? "not a complete MP3 file" : scan.problem};
  song_facts facts;
  facts.size = bytes.size();
  facts.sha256 = core::sha256_hex(bytes);
  facts.duration_ms = static_cast<std::int64_t>(scan.duration_seconds * 1000.0 + 0.5);
  return {facts, {}};
}

std::optional<audio_frames> audio_frames_of(const std::string& path) {
  const mapped_file file(path);
  if (!file.opened() || !file.ok()) return std::nullopt;
  const auto scan = scan_mp3(file.bytes());
  if (!scan.complete) return std::nullopt;
  return audio_frames{scan.audio_start, scan.audio_end};
}

}  // namespace serenade::archive
