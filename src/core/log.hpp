#pragma once
// Structured logging: one line per event, key=value pairs, UTC timestamps.
//   SERENADE_LOG(info, "stream_end", "session", id, "bytes", n, "outcome", "complete");
// Values containing spaces, quotes or '=' are quoted, so every line stays machine-parsable.
#include <spdlog/spdlog.h>

#include <exception>
#include <string>
#include <string_view>

namespace serenade::log {

// Configures the default logger: stderr, level by name (trace|debug|info|warn|error|off).
// Returns false when the level name is unknown.
bool setup(std::string_view level);

namespace detail {
void append_value(std::string& out, std::string_view value);
inline void append_value(std::string& out, const char* value) { append_value(out, std::string_view(value)); }
inline void append_value(std::string& out, const std::string& value) { append_value(out, std::string_view(value)); }
inline void append_value(std::string& out, bool value) { out += value ? "true" : "false"; }
template <class Number>
  requires std::is_arithmetic_v<Number>
void append_value(std::string& out, Number value) {
  out += fmt::to_string(value);
}

inline void append_pairs(std::string&) {}
template <class Value, class... Rest>
void append_pairs(std::string& out, std::string_view key, const Value& value, const Rest&... rest) {
  out += ' ';
  out += key;
  out += '=';
  append_value(out, value);
  append_pairs(out, rest...);
}
}  // namespace detail

template <class... Pairs>
std::string format_event(std::string_view event, const Pairs&... pairs) {
  static_assert(sizeof...(Pairs) % 2 == 0, "log fields come in key, value pairs");
  std::string line = "event=";
  line += event;
  detail::append_pairs(line, pairs...);
  return line;
}

template <class... Pairs>
void event(spdlog::level::level_enum level, std::string_view name, const Pairs&... pairs) {
  if (!spdlog::should_log(level)) return;
  spdlog::log(level, "{}", format_event(name, pairs...));
}

namespace severity {
inline constexpr auto trace = spdlog::level::trace;
inline constexpr auto debug = spdlog::level::debug;
inline constexpr auto info = spdlog::level::info;
inline constexpr auto warn = spdlog::level::warn;
inline constexpr auto error = spdlog::level::err;
}  // namespace severity

// Text from outside (Sonauto's answers, a client's input) as a log value: at most `max_bytes` of it, and how
// much was left out, so a hostile answer cannot flood the log.
std::string outside_text(std::string_view text, std::size_t max_bytes = 256);

// What an exception says: its what(), or "unknown" for one that is not a std::exception. Empty for none.
std::string describe(std::exception_ptr error);

// The end of a background coroutine that threw: one error line `event` with `fields` and the exception as
// `error`. For co_spawn completion handlers:
//   [self](std::exception_ptr e) { if (e) { log::failure(e, "capture_failed", "session", id); self->abandon(); } }
template <class... Pairs>
void failure(std::exception_ptr error, std::string_view event_name, const Pairs&... pairs) {
  event(spdlog::level::err, event_name, pairs..., "error", describe(error));
}

}  // namespace serenade::log

// level is one of trace, debug, info, warn, error.
#define SERENADE_LOG(level, ...) ::serenade::log::event(::serenade::log::severity::level, __VA_ARGS__)
