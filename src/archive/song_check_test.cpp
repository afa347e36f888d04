#include "archive/song_check.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>
#include <vector>

// The largest single allocation made while `largest_allocation_tracked` is set: a song check must not copy
// the song into memory.
std::atomic<bool> largest_allocation_tracked{false};
std::atomic<std::size_t> largest_allocation{0};

void* operator new(std::size_t size) {
  if (largest_allocation_tracked.load(std::memory_order_relaxed)) {
    auto seen = largest_allocation.load(std::memory_order_relaxed);
    while (size > seen && !largest_allocation.compare_exchange_weak(seen, size)) {
    }
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace serenade::archive {
namespace {

// One MPEG-1 Layer III frame: 128 kbps, 44.1 kHz, no padding = 417 bytes.
std::vector<char> frames(int count) {
  std::vector<char> out;
  for (int i = 0; i < count; ++i) {
    std::vector<char> frame(417, static_cast<char>(i));
    frame[0] = static_cast<char>(0xFF);
    frame[1] = static_cast<char>(0xFB);
    frame[2] = static_cast<char>(0x90);
    frame[3] = static_cast<char>(0x64);
    out.insert(out.end(), frame.begin(), frame.end());
  }
  return out;
}

std::string write_temp(const std::vector<char>& bytes) {
  std::string path = "/tmp/serenade-song-check-XXXXXX";
  const int fd = ::mkstemp(path.data());
  ::close(fd);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

TEST(song_check, a_complete_file_yields_size_hash_and_duration) {
  const auto path = write_temp(frames(100));
  const auto check = check_song_file(path);
  ASSERT_TRUE(check.facts) << check.problem;
  EXPECT_EQ(check.facts->size, 41700u);
  EXPECT_EQ(check.facts->sha256.size(), 64u);
  EXPECT_EQ(check.facts->duration_ms, 2612);  // 100 × 1152 / 44100 s
  EXPECT_EQ(check_song_file(path).facts->sha256, check.facts->sha256);
  std::remove(path.c_str());
}

TEST(song_check, a_long_song_is_checked_without_a_copy_in_memory) {
  const auto song = frames(24'000);  // 10 MB, about ten minutes
  const auto path = write_temp(song);
  largest_allocation = 0;
  largest_allocation_tracked = true;
  const auto check = check_song_file(path);
  largest_allocation_tracked = false;
  ASSERT_TRUE(check.facts) << check.problem;
  EXPECT_EQ(check.facts->size, song.size());
  EXPECT_LT(largest_allocation.load(), 1024u * 1024) << "the song was read into memory";
  std::remove(path.c_str());
}

TEST(song_check, an_empty_file_is_refused) {
  const auto path = write_temp({});
  EXPECT_FALSE(check_song_file(path).facts);
  std::remove(path.c_str());
}

TEST(song_check, a_truncated_file_is_refused) {
  auto bytes = frames(10);
  bytes.resize(bytes.size() - 100);
  const auto path = write_temp(bytes);
  const auto check = check_song_file(path);
  EXPECT_FALSE(check.facts);
  EXPECT_FALSE(check.problem.empty());
  std::remove(path.c_str());
}

TEST(song_check, a_corrupted_file_is_refused) {
  auto bytes = frames(10);
  bytes[417 * 5] = 0;  // breaks the sync word of the sixth frame
  const auto path = write_temp(bytes);
  EXPECT_FALSE(check_song_file(path).facts);
  std::remove(path.c_str());
}

TEST(song_check, a_missing_file_is_refused) {
  EXPECT_FALSE(check_song_file("/nonexistent/serenade.mp3").facts);
}

}  // namespace
}  // namespace serenade::archive
