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
  // The body was a JSON object holding that string (as "task_id", possibly in an envelope, or as a generation's
  // "id"); written back as a flat payload, it reads the same.
  boost::json::object again;
  again["task_id"] = *task;
  again["status"] = "SUCCESS";
  FUZZ_CHECK(serenade::api::webhook_task_id(boost::json::serialize(again)) == task);
  // The same document, serialized again, names the same task: the search does not depend on the text's spelling.
  const auto parsed = boost::json::parse(body);
  FUZZ_CHECK(parsed.is_object());
  FUZZ_CHECK(serenade::api::webhook_task_id(boost::json::serialize(parsed)) == task);
  return 0;
}
