#include "core/private_files.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace serenade::core {
namespace {

namespace fs = std::filesystem;

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class private_files : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() / ("serenade-private-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  fs::path root_;
};

TEST_F(private_files, a_new_folder_is_its_owners_alone_whatever_the_umask) {
  const auto old_umask = ::umask(022);
  EXPECT_TRUE(make_folder_private((root_ / "a" / "archive").string()));
  ::umask(old_umask);
  EXPECT_EQ(mode_of(root_ / "a" / "archive"), 0700u);
}

TEST_F(private_files, an_existing_open_folder_is_closed_to_others) {
  fs::create_directories(root_ / "archive");
  ::chmod((root_ / "archive").c_str(), 0755);
  EXPECT_TRUE(make_folder_private((root_ / "archive").string()));
  EXPECT_EQ(mode_of(root_ / "archive"), 0700u);
  EXPECT_FALSE(make_folder_private((root_ / "archive").string())) << "a private folder is left alone";
}

TEST_F(private_files, an_existing_open_file_is_closed_to_others_and_a_missing_one_is_fine) {
  const auto file = root_ / "serenade.db";
  std::ofstream(file) << "x";
  ::chmod(file.c_str(), 0664);
  EXPECT_TRUE(make_file_private(file.string()));
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_FALSE(make_file_private(file.string()));
  EXPECT_FALSE(make_file_private((root_ / "missing").string()));
}

TEST_F(private_files, a_shared_folder_is_only_reported) {
  ::chmod(root_.c_str(), 0755);
  EXPECT_TRUE(warn_if_open_to_others(root_.string()));
  EXPECT_EQ(mode_of(root_), 0755u);
  ::chmod(root_.c_str(), 0700);
  EXPECT_FALSE(warn_if_open_to_others(root_.string()));
}

TEST(keep_new_files_private, new_files_get_no_group_or_other_access) {
  const auto old_umask = ::umask(022);
  keep_new_files_private();
  const auto now = ::umask(old_umask);
  EXPECT_EQ(now, 077u);
}

}  // namespace
}  // namespace serenade::core
