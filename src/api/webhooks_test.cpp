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

TEST(webhook_task_id, reads_the_task_of_sonautos_payload) {
  EXPECT_EQ(webhook_task_id(R"({"task_id":"0f3c-42","status":"GENERATING_STREAMING_READY"})"), "0f3c-42");
  EXPECT_EQ(webhook_task_id(R"({"status":"SUCCESS","task_id":"a\u0062c","extra":{"nested":[1]}})"), "abc");
}

TEST(webhook_task_id, finds_the_task_inside_an_envelope) {
  EXPECT_EQ(webhook_task_id(R"({"event":"status_update","data":{"task_id":"t-1","status":"SUCCESS"}})"), "t-1");
  EXPECT_EQ(webhook_task_id(R"({"id":"evt_9","data":{"task_id":"t-2"}})"), "t-2") << "an event id is not the task";
}

TEST(webhook_task_id, takes_the_id_of_a_generation_object) {
  EXPECT_EQ(webhook_task_id(R"({"id":"g-1","status":"SUCCESS","song_paths":["https://cdn/x.mp3"]})"), "g-1");
  EXPECT_EQ(webhook_task_id(R"({"type":"done","generation":{"id":"g-2","status":"FAILURE"}})"), "g-2");
  EXPECT_EQ(webhook_task_id(R"({"id":"not-a-generation"})"), std::nullopt);
}

TEST(webhook_task_id, looks_no_deeper_than_an_envelope_and_one_level) {
  EXPECT_EQ(webhook_task_id(R"({"a":{"b":{"task_id":"t-3"}}})"), "t-3");
  EXPECT_EQ(webhook_task_id(R"({"a":{"b":{"c":{"task_id":"t-4"}}}})"), std::nullopt);
  EXPECT_EQ(webhook_task_id(R"({"task_id":")" + std::string(200, 'x') + R"("})"), std::nullopt);
}

TEST(webhook_task_id, refuses_bodies_without_a_task_string) {
  EXPECT_EQ(webhook_task_id(""), std::nullopt);
  EXPECT_EQ(webhook_task_id("not json"), std::nullopt);
  EXPECT_EQ(webhook_task_id(R"(["task_id"])"), std::nullopt);
  EXPECT_EQ(webhook_task_id(R"({"status":"SUCCESS"})"), std::nullopt);
  EXPECT_EQ(webhook_task_id(R"({"task_id":42})"), std::nullopt);
  EXPECT_EQ(webhook_task_id(R"({"task_id":null})"), std::nullopt);
  EXPECT_EQ(webhook_task_id(R"({"task_id":"abc")"), std::nullopt);
}

}  // namespace
}  // namespace serenade::api
