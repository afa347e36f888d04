// Sonauto's answer to GET /v1/generations/{task_id} (sonauto/wire.cpp, parse_result): the finished song's CDN
// paths, lyrics, tags and error message.
//
// Input: the answer's body.
#include "check.hpp"
#include "sonauto/wire.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <string_view>

namespace sonauto = serenade::sonauto;
namespace json = boost::json;

namespace {

json::array strings(const std::vector<std::string>& list) {
  json::array out;
  for (const auto& item : list) out.emplace_back(item);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto answer = sonauto::wire::parse_result(body);
  if (!answer) {
    FUZZ_CHECK(answer.error().kind == sonauto::failure_kind::protocol);
    FUZZ_CHECK(answer.error().stage == sonauto::stage::read_body);
    return 0;
  }
  const auto& result = answer.value();
  // What was read, written back as Sonauto would write it, reads the same.
  json::object again;
  again["id"] = result.id;
  again["status"] = result.status;
  again["song_paths"] = strings(result.song_paths);
  again["error_message"] = result.error_message ? json::value(*result.error_message) : json::value(nullptr);
  again["lyrics"] = result.lyrics ? json::value(*result.lyrics) : json::value(nullptr);
  again["tags"] = strings(result.tags);
  const auto reread = sonauto::wire::parse_result(json::serialize(again));
  FUZZ_CHECK(reread);
  const auto& r = reread.value();
  FUZZ_CHECK(r.id == result.id && r.status == result.status && r.song_paths == result.song_paths &&
             r.error_message == result.error_message && r.lyrics == result.lyrics && r.tags == result.tags);
  return 0;
}
