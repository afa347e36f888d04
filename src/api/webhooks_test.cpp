#include "api/webhooks.hpp"

#include "core/config.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace serenade::api {
namespace {

namespace fs = std::filesystem;

class webhook_token_file : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "serenade-webhook-token-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string kept() const {
    std::ifstream in(dir_ + "/.webhook-token");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  std::string dir_;
};

TEST_F(webhook_token_file, the_generated_token_passes_the_strength_rule_and_is_kept) {
  const auto token = webhook_token("", dir_);
  EXPECT_EQ(core::webhook_token_weakness(token), std::nullopt) << token;
  EXPECT_EQ(token.size(), 44u);
  EXPECT_EQ(kept(), token);
  EXPECT_EQ(webhook_token("", dir_), token) << "a restart keeps the URL Sonauto knows";
}

TEST_F(webhook_token_file, a_kept_token_the_rule_refuses_is_replaced) {
  std::ofstream(dir_ + "/.webhook-token") << "AAAAAAAAAAAAAAAAAAAAAA";
  const auto token = webhook_token("", dir_);
  EXPECT_NE(token, "AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(core::webhook_token_weakness(token), std::nullopt);
  EXPECT_EQ(kept(), token);
}

TEST_F(webhook_token_file, a_configured_token_is_used_as_given_and_nothing_is_written) {
  EXPECT_EQ(webhook_token("configured-Token-0123456789-abcdefghij", dir_), "configured-Token-0123456789-abcdefghij");
  EXPECT_FALSE(fs::exists(dir_ + "/.webhook-token"));
}

}  // namespace
}  // namespace serenade::api
