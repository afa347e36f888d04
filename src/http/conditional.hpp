#pragma once
// Conditional and range requests for a finished song file (RFC 9110 §13): decides status, headers and
// which bytes to send, so the file-serving code only opens, seeks and streams.
#include "http/message.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace serenade::http {

struct file_identity {
  std::string etag;  // quoted strong etag, e.g. "\"abc\""
  std::int64_t last_modified_unix;
  std::uint64_t length;
  std::string last_modified;  // http_date(last_modified_unix) made once for a file served often; empty: made per answer
};

// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::int64_t unix_seconds);
// Accepts IMF-fixdate and the obsolete RFC 850 and asctime forms (RFC 9110 §5.6.7); nullopt when none fit.
std::optional<std::int64_t> parse_http_date(std::string_view text);

// If-None-Match: "*" or a list of entity tags, compared weakly. Absent or malformed → false.
bool if_none_match_hits(std::optional<std::string_view> header, std::string_view etag);
// If-Range: a strong etag equal to ours, or an HTTP-date equal to Last-Modified. Absent → true;
// weak, stale or malformed → false (serve the whole file).
bool if_range_allows(std::optional<std::string_view> header, const file_identity& id);

struct file_answer {
  unsigned status;         // 200, 206, 304 or 416
  std::uint64_t offset;    // first byte of the file to send
  std::uint64_t length;    // how many bytes to send (0 for 304 and 416); HEAD callers send none
  header_list headers;
};

// For GET and HEAD only; callers reject other methods first. HEAD gets exactly GET's answer.
// cache_control is copied to 200/206/304 answers; an empty one is left out.
file_answer answer_for_file(const request& req, const file_identity& id, std::string_view content_type,
                            std::string_view cache_control);

}  // namespace serenade::http
