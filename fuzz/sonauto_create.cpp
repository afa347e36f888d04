// Sonauto's answer to POST /v1/generations/v3 (sonauto/wire.cpp, parse_task_id).
//
// Input: the answer's body.
#include "check.hpp"
#include "sonauto/wire.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <string_view>

namespace sonauto = serenade::sonauto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto id = sonauto::wire::parse_task_id(body);
  if (!id) {
    // A refusal is a protocol failure of reading the body, with a reason for the log.
    FUZZ_CHECK(id.error().kind == sonauto::failure_kind::protocol);
    FUZZ_CHECK(id.error().stage == sonauto::stage::read_body);
    FUZZ_CHECK(!id.error().detail.empty());
    FUZZ_CHECK(id.error().describe().starts_with("read_body: "));
    return 0;
  }
  FUZZ_CHECK(!id.value().empty());
  boost::json::object again;
  again["task_id"] = id.value();
  FUZZ_CHECK(sonauto::wire::parse_task_id(boost::json::serialize(again)).value() == id.value());
  return 0;
}
