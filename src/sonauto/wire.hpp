#pragma once
// Sonauto's wire format, without I/O: the JSON we send, the JSON we accept, and how error bodies become one line of
// text. The client composes these with its connections; tests exercise them without sockets.
#include <cstddef>
#include <string>
#include <string_view>

#include "sonauto/client.hpp"
#include "sonauto/failure.hpp"
#include "sonauto/task_status.hpp"

namespace serenade::sonauto::wire {

// Body of POST /v1/generations/v3: prompt, tags (only when non-empty), enable_streaming: true, stream_format "mp3",
// output_format "mp3", output_bit_rate 192, webhook_url (only when set).
std::string create_body(const generation_request& request);

// Parsers for 2xx bodies. A body that does not have the expected shape is failure{protocol, "read_body"}.
// {"task_id": "..."} → the task id.
outcome<std::string> parse_task_id(std::string_view body);
// "GENERATING" (a JSON string, as documented); also accepts {"status": "..."} and a bare GENERATING token.
// This is where Sonauto's words become task_status.
outcome<status_report> parse_status(std::string_view body);
// The result object; unknown fields ignored, nulls and missing fields left empty.
outcome<generation_result> parse_result(std::string_view body);
// {"num_credits": N, "num_credits_payg": M}: both must be non-negative integers (a missing payg counts as 0).
outcome<credit_balance> parse_credits(std::string_view body);

// The text of a non-2xx body: FastAPI's {"detail": "text"}, or {"detail": [{"msg": ...}, ...]} joined with "; ",
// or a trimmed one-line excerpt (≤ 200 characters) of anything else, or "HTTP <status>" when there is nothing.
// `secret` is replaced by "[redacted]" before anything is cut, so no part of it survives.
std::string error_detail(unsigned status, std::string_view body, std::string_view secret);

// Every occurrence of `secret` replaced by "[redacted]"; `text` unchanged when `secret` is empty.
std::string redact(std::string text, std::string_view secret);

// Trimmed, control characters turned into spaces, cut to at most `max_bytes` on a UTF-8 boundary ("…" appended
// when cut), so an upstream text always fits on one log line.
std::string one_line(std::string_view text, std::size_t max_bytes);

}  // namespace serenade::sonauto::wire
