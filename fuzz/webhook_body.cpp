// Sonauto's webhook bodies (api/webhooks.cpp, webhook_task_id) as POST /api/webhooks/sonauto/{token} receives
// them: anyone who knows the URL can send one.
//
// Input: the request body.
#include "api/webhooks.hpp"
#include "check.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto task = serenade::api::webhook_task_id(body);
  if (!task) return 0;
  // The body was a JSON object holding that string under "task_id"; written back the same way, it reads the same.
  boost::json::object again;
  again["task_id"] = *task;
  again["status"] = "SUCCESS";
  FUZZ_CHECK(serenade::api::webhook_task_id(boost::json::serialize(again)) == task);
  const auto parsed = boost::json::parse(body);
  FUZZ_CHECK(parsed.as_object().at("task_id").as_string() == *task);
  return 0;
}
