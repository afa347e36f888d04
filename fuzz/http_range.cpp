// Range headers against a file length (http/range.cpp), as a finished song's request is answered.
//
// Input: the file length (8 bytes, little-endian; the top bit picks a small length so both real song sizes and
// the extremes near 2^64 are reached), then the Range field value.
#include "check.hpp"
#include "http/range.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace {

using namespace serenade::http;

std::uint64_t number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  FUZZ_CHECK(ec == std::errc() && end == text.data() + text.size());
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  std::uint64_t length = 0;
  std::memcpy(&length, data, 8);
  if (length >> 63) length &= 0xFFFFFF;  // up to 16 MiB, a song's size
  const std::string_view header(reinterpret_cast<const char*>(data + 8), size - 8);

  const auto parsed = parse_range(header, length);
  switch (parsed.kind) {
    case range_kind::single: {
      const auto& r = parsed.range;
      FUZZ_CHECK(r.first <= r.last);
      FUZZ_CHECK(r.last < length);
      // What the server sends back names exactly these bytes...
      const auto text = content_range(r, length);
      FUZZ_CHECK(text.starts_with("bytes "));
      const auto dash = text.find('-');
      const auto slash = text.find('/');
      FUZZ_CHECK(dash != std::string::npos && slash != std::string::npos && dash < slash);
      FUZZ_CHECK(number(std::string_view(text).substr(6, dash - 6)) == r.first);
      FUZZ_CHECK(number(std::string_view(text).substr(dash + 1, slash - dash - 1)) == r.last);
      FUZZ_CHECK(number(std::string_view(text).substr(slash + 1)) == length);
      // ...and asking for them plainly selects them again.
      const auto again = parse_range("bytes=" + std::to_string(r.first) + "-" + std::to_string(r.last), length);
      FUZZ_CHECK(again.kind == range_kind::single);
      FUZZ_CHECK(again.range.first == r.first && again.range.last == r.last);
      break;
    }
    case range_kind::unsatisfiable:
      FUZZ_CHECK(unsatisfied_content_range(length) == "bytes */" + std::to_string(length));
      [[fallthrough]];
    case range_kind::none:
    case range_kind::multiple:
    case range_kind::invalid:
      FUZZ_CHECK(parsed.range.first == 0 && parsed.range.last == 0);
      break;
  }
  // No satisfiable range exists in an empty file.
  if (length == 0) FUZZ_CHECK(parsed.kind != range_kind::single && parsed.kind != range_kind::multiple);
  return 0;
}
