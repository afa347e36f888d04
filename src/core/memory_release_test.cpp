#include "core/memory_release.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace serenade::core {
namespace {

TEST(crowd_ebb, releases_only_after_the_count_fell_far_enough_below_its_peak) {
  crowd_ebb ebb(1000);
  EXPECT_FALSE(ebb.observe(0, 0));
  EXPECT_FALSE(ebb.observe(5000, 5000));
  EXPECT_FALSE(ebb.observe(4200, 5000)) << "800 fewer is not enough";
  EXPECT_TRUE(ebb.observe(4000, 4200)) << "1000 below the peak of 5000";
  EXPECT_FALSE(ebb.observe(3500, 4000)) << "the peak starts again at 4000";
  EXPECT_TRUE(ebb.observe(3000, 3500));
  EXPECT_FALSE(ebb.observe(3000, 3000)) << "no drop, no release";
}

TEST(crowd_ebb, a_crowd_that_came_and_went_between_two_readings_counts) {
  crowd_ebb ebb(1000);
  EXPECT_FALSE(ebb.observe(0, 0));
  EXPECT_TRUE(ebb.observe(0, 5000)) << "5000 listeners came and left within one period";
  EXPECT_FALSE(ebb.observe(0, 0));
}

TEST(crowd_ebb, a_new_crowd_raises_the_peak_again) {
  crowd_ebb ebb(1000);
  EXPECT_FALSE(ebb.observe(1500, 1500));
  EXPECT_TRUE(ebb.observe(100, 1500));
  EXPECT_FALSE(ebb.observe(900, 900)) << "growth never releases";
  EXPECT_FALSE(ebb.observe(2000, 2000));
  EXPECT_TRUE(ebb.observe(500, 2000));
}

TEST(release_free_memory, gives_freed_heap_pages_back) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || !defined(__GLIBC__)
  GTEST_SKIP() << "the sanitizers' allocators (and non-glibc ones) keep their own heap";
#else
  // 64 MiB in small blocks (below the mmap threshold, so they live in the heap), then all freed but the last,
  // which pins the top of the heap so free() itself cannot shrink it.
  constexpr std::size_t block = 512;
  constexpr std::size_t count = 64 * 1024 * 1024 / block;
  std::vector<std::unique_ptr<char[]>> blocks(count);
  for (auto& b : blocks) {
    b = std::make_unique<char[]>(block);
    b[0] = 1;  // touched, so resident
  }
  const auto filled = resident_bytes();
  for (std::size_t i = 0; i + 1 < count; ++i) blocks[i].reset();
  const auto freed = resident_bytes();
  release_free_memory();
  const auto released = resident_bytes();
  ASSERT_GT(filled, 0u);
  EXPECT_GT(freed, released + 32u * 1024 * 1024) << "filled " << filled << ", freed " << freed << ", released " << released;
#endif
}

}  // namespace
}  // namespace serenade::core
