#include "api/webhooks.hpp"

#include <gtest/gtest.h>

namespace serenade::api {
namespace {

TEST(webhook_task_id, reads_the_task_of_sonautos_payload) {
  EXPECT_EQ(webhook_task_id(R"({"task_id":"0f3c-42","status":"GENERATING_STREAMING_READY"})"), "0f3c-42");
  EXPECT_EQ(webhook_task_id(R"({"status":"SUCCESS","task_id":"a\u0062c","extra":{"nested":[1]}})"), "abc");
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
