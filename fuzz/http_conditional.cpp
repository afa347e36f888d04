// Conditional and range requests for a finished song (http/conditional.cpp): If-None-Match, If-Modified-Since,
// If-Range and Range together decide status, headers and the bytes to send; HTTP dates are parsed on the way.
//
// Input: one byte choosing the method and the file's length, then header lines ("Name: value", one per line)
// as a client would send them. The file's validators are fixed, as the archive records them; the seeds and the
// dictionary carry them so the fuzzer can match them.
#include "check.hpp"
#include "http/conditional.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace serenade::http;

constexpr std::array<std::uint64_t, 4> lengths = {0, 1, 417, 4'000'000};

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

header_list header_lines(std::string_view text) {
  header_list headers;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    headers.emplace_back(std::string(line.substr(0, colon)), std::string(trimmed(line.substr(colon + 1))));
  }
  return headers;
}

void check_date(std::string_view text) {
  const auto parsed = parse_http_date(text);
  // A leap second on the last day of 9999 reads as year 10000, which has no four-digit form to write.
  constexpr std::int64_t year_10000 = 253402300800;
  if (!parsed || *parsed >= year_10000) return;
  // Whatever form was read, the IMF-fixdate we write for it reads back as the same instant.
  const auto written = http_date(*parsed);
  FUZZ_CHECK(written.size() == 29);
  FUZZ_CHECK(parse_http_date(written) == parsed);
}

std::optional<std::string_view> field(const header_list& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  request req;
  req.method = data[0] & 0x80 ? "HEAD" : "GET";
  req.target = req.path = "/api/stream/Qm9vZ2xl";
  req.headers = header_lines(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  const file_identity id{"\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"", 1700000000,
                         lengths[data[0] & 0x3], (data[0] & 0x40) ? "" : "Tue, 14 Nov 2023 22:13:20 GMT"};

  for (const auto& [name, value] : req.headers) check_date(value);

  const auto answer = answer_for_file(req, id, "audio/mpeg", "private, max-age=31536000, immutable");
  FUZZ_CHECK(answer.offset <= id.length && answer.length <= id.length - answer.offset);
  switch (answer.status) {
    case 200:
      FUZZ_CHECK(answer.offset == 0 && answer.length == id.length);
      break;
    case 206: {
      FUZZ_CHECK(answer.length > 0);
      const auto last = answer.offset + answer.length - 1;
      FUZZ_CHECK(field(answer.headers, "Content-Range") ==
                 "bytes " + std::to_string(answer.offset) + "-" + std::to_string(last) + "/" +
                     std::to_string(id.length));
      break;
    }
    case 304:
    case 416:
      FUZZ_CHECK(answer.length == 0);
      break;
    default:
      FUZZ_CHECK(false);
  }
  if (answer.status != 304) {
    FUZZ_CHECK(field(answer.headers, "Content-Length") ==
               std::to_string(answer.status == 416 ? 0 : answer.length));
  }
  // Nothing of the request is echoed: the answer's header lines stay what the server wrote.
  for (const auto& [name, value] : answer.headers) {
    FUZZ_CHECK(value.find_first_of("\r\n") == std::string::npos);
  }
  // HEAD is answered exactly as GET.
  auto as_get = req;
  as_get.method = req.is_head() ? "GET" : "HEAD";
  const auto other = answer_for_file(as_get, id, "audio/mpeg", "private, max-age=31536000, immutable");
  FUZZ_CHECK(other.status == answer.status && other.offset == answer.offset && other.length == answer.length &&
             other.headers == answer.headers);
  return 0;
}
