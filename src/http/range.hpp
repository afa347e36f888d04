#pragma once
// Byte ranges (RFC 9110 §14) for serving finished songs: players seek and resume downloads with Range.
// Only a single range is ever answered with 206; several ranges are answered with the whole file, which
// RFC 9110 allows and which spares us multipart/byteranges.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace serenade::http {

struct byte_range {
  std::uint64_t first;
  std::uint64_t last;  // inclusive, always < the length it was resolved against
};

enum class range_kind {
  none,           // no Range header, or a unit other than bytes: serve 200
  single,         // exactly one satisfiable range: serve 206 with `range`
  multiple,       // two or more satisfiable ranges: serve 200 with the whole file
  unsatisfiable,  // well formed, but no range overlaps the file: serve 416
  invalid,        // malformed bytes= header: must be ignored (serve 200), reported so callers can log it
};

struct range_request {
  range_kind kind;
  byte_range range;  // meaningful only when kind == single; {0, 0} otherwise
};

// header is the Range field value, if any; length is the file size in bytes.
range_request parse_range(std::optional<std::string_view> header, std::uint64_t length);

// "bytes 0-1/1000"
std::string content_range(const byte_range& range, std::uint64_t length);
// "bytes */1000", the Content-Range of a 416.
std::string unsatisfied_content_range(std::uint64_t length);

}  // namespace serenade::http
