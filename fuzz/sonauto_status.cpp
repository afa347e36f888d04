// Sonauto's answer to GET /v1/generations/status/{task_id} (sonauto/wire.cpp, parse_status) and its word for the
// state (sonauto/task_status.cpp), as the lifecycle then reads it (lifecycle/task_status.cpp).
//
// Input: the answer's body.
#include "check.hpp"
#include "lifecycle/task_status.hpp"
#include "sonauto/wire.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace sonauto = serenade::sonauto;
namespace lifecycle = serenade::lifecycle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto answer = sonauto::wire::parse_status(body);
  if (!answer) {
    FUZZ_CHECK(answer.error().kind == sonauto::failure_kind::protocol);
    FUZZ_CHECK(answer.error().stage == sonauto::stage::read_body);
    return 0;
  }
  const auto& report = answer.value();
  FUZZ_CHECK(!report.text.empty());
  FUZZ_CHECK(report.status == sonauto::parse_task_status(report.text));
  if (report.status != sonauto::task_status::unknown) FUZZ_CHECK(sonauto::to_text(report.status) == report.text);

  // Every documented shape of the same word reads the same.
  const auto quoted = sonauto::wire::parse_status(boost::json::serialize(boost::json::string(report.text)));
  FUZZ_CHECK(quoted && quoted.value().status == report.status && quoted.value().text == report.text);
  boost::json::object object;
  object["status"] = report.text;
  const auto in_object = sonauto::wire::parse_status(boost::json::serialize(object));
  FUZZ_CHECK(in_object && in_object.value().status == report.status && in_object.value().text == report.text);

  // The store keeps the word and reads the same state back; the lifecycle's views of it are defined.
  FUZZ_CHECK(lifecycle::stored_status(lifecycle::stored_text(report.status)) == report.status);
  for (const bool ready : {false, true}) {
    FUZZ_CHECK(!lifecycle::phase_of(report.status, ready).empty());
    FUZZ_CHECK(!lifecycle::stage_of(report.status, ready).empty());
  }
  if (lifecycle::is_stream_ready(report.status)) FUZZ_CHECK(report.status != sonauto::task_status::failure);
  return 0;
}
