#include "sim/webhooks.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace serenade::sim {
namespace {

namespace json = boost::json;

json::object result_at(std::string_view status) {
  return {{"id", "t-1"}, {"status", status}, {"song_paths", json::array{"http://cdn/t-1.mp3"}}};
}

json::object body(webhook_payload_shape shape, std::string_view status) {
  int asked = 0;
  const auto text = webhook_body(shape, "t-1", status, [&] {
    ++asked;
    return result_at(status);
  });
  EXPECT_TRUE(text) << status;
  EXPECT_EQ(asked, shape == webhook_payload_shape::completion_only ? 1 : 0) << "the result only when sent";
  return text ? json::parse(*text).as_object() : json::object{};
}

TEST(webhook_body, flat_names_the_task_and_status_at_the_top) {
  const auto b = body(webhook_payload_shape::flat, "PROMPT");
  EXPECT_EQ(b, (json::object{{"task_id", "t-1"}, {"status", "PROMPT"}, {"alignment_status", nullptr}}));
}

TEST(webhook_body, nested_puts_them_under_data_with_an_event_name) {
  const auto b = body(webhook_payload_shape::nested, "GENERATING");
  EXPECT_FALSE(b.contains("task_id"));
  EXPECT_EQ(b.at("event"), "status_update");
  EXPECT_EQ(b.at("data"), (json::object{{"task_id", "t-1"}, {"status", "GENERATING"}, {"alignment_status", nullptr}}));
}

TEST(webhook_body, no_task_id_carries_only_the_status) {
  EXPECT_EQ(body(webhook_payload_shape::no_task_id, "SAVING"), (json::object{{"status", "SAVING"}}));
}

TEST(webhook_body, completion_only_sends_the_result_at_the_end_and_nothing_before) {
  for (const auto* status : {"RECEIVED", "GENERATING_STREAMING_READY", "DECOMPRESSING", "SAVING"}) {
    bool asked = false;
    EXPECT_FALSE(webhook_body(webhook_payload_shape::completion_only, "t-1", status, [&] {
      asked = true;
      return json::object{};
    })) << status;
    EXPECT_FALSE(asked) << status;
  }
  EXPECT_EQ(body(webhook_payload_shape::completion_only, "SUCCESS"), result_at("SUCCESS"));
  EXPECT_EQ(body(webhook_payload_shape::completion_only, "FAILURE"), result_at("FAILURE"));
}

}  // namespace
}  // namespace serenade::sim
