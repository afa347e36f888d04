// The check a downloaded song passes before it may carry a final name (archive/song_check.cpp): complete MP3
// frames, size, SHA-256 and duration, read from the file as the finaliser reads it.
//
// Input: the file's bytes, written to a temporary file.
#include "archive/mp3_frames.hpp"
#include "archive/song_check.hpp"
#include "check.hpp"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <unistd.h>

namespace archive = serenade::archive;

namespace {

// One file per fuzzing process, in a folder of its own that goes when the process exits normally.
class temporary_song {
 public:
  temporary_song() {
    std::string folder = (std::filesystem::temp_directory_path() / "serenade-fuzz-XXXXXX").string();
    FUZZ_CHECK(mkdtemp(folder.data()) != nullptr);
    folder_ = folder;
    path_ = (folder_ / "song.mp3").string();
  }
  ~temporary_song() {
    std::error_code ignored;
    std::filesystem::remove_all(folder_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::filesystem::path folder_;
  std::string path_;
};

const std::string& song_path() {
  static const temporary_song song;
  return song.path();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    // A new file each time: ext4 flushes a file truncated and written again when it is closed (auto_da_alloc),
    // which made every run wait for the disk.
    std::filesystem::remove(song_path());
    std::ofstream out(song_path(), std::ios::binary);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    FUZZ_CHECK(out.good());
  }
  const auto check = archive::check_song_file(song_path());
  const auto scan = archive::scan_mp3(std::span<const std::uint8_t>(data, size));
  FUZZ_CHECK(check.facts.has_value() == scan.complete);
  if (!check.facts) {
    FUZZ_CHECK(!check.problem.empty());
    return 0;
  }
  FUZZ_CHECK(check.problem.empty());
  FUZZ_CHECK(check.facts->size == size);
  FUZZ_CHECK(check.facts->sha256.size() == 64);
  FUZZ_CHECK(check.facts->sha256.find_first_not_of("0123456789abcdef") == std::string::npos);
  FUZZ_CHECK(std::abs(static_cast<double>(check.facts->duration_ms) - scan.duration_seconds * 1000.0) <= 0.5 + 1e-6);
  FUZZ_CHECK(check.facts->duration_ms > 0);
  return 0;
}
