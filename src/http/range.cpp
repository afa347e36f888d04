#include "http/range.hpp"

#include "http/message.hpp"

#include <charconv>

namespace serenade::http {

namespace {

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// At most 19 digits: every such value is below 10^19 < 2^64, so accumulating cannot overflow, and no
// real file comes near that size. Longer numbers are rejected rather than saturated.
constexpr std::size_t max_digits = 19;

std::optional<std::uint64_t> parse_number(std::string_view s) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

// One range-spec, syntax only: suffix ranges keep first empty.
struct spec {
  std::optional<std::uint64_t> first;
  std::optional<std::uint64_t> last;  // for a suffix range, the suffix length
};

std::optional<spec> parse_spec(std::string_view s) {
  const auto dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto before = s.substr(0, dash);
  const auto after = s.substr(dash + 1);
  spec out;
  if (before.empty()) {
    // suffix-range: "-" suffix-length, the length is mandatory
    out.last = parse_number(after);
    if (!out.last) return std::nullopt;
    return out;
  }
  out.first = parse_number(before);
  if (!out.first) return std::nullopt;
  if (!after.empty()) {
    out.last = parse_number(after);  // also rejects a second '-' as in "1-2-3"
    if (!out.last || *out.last < *out.first) return std::nullopt;
  }
  return out;
}

// The part of the file a syntactically valid spec selects, or nothing when it is unsatisfiable.
std::optional<byte_range> resolve(const spec& s, std::uint64_t length) {
  if (length == 0) return std::nullopt;
  if (!s.first) {
    const auto suffix = *s.last;
    if (suffix == 0) return std::nullopt;
    return byte_range{suffix >= length ? 0 : length - suffix, length - 1};
  }
  if (*s.first >= length) return std::nullopt;
  const auto last = s.last && *s.last < length - 1 ? *s.last : length - 1;
  return byte_range{*s.first, last};
}

}  // namespace

range_request parse_range(std::optional<std::string_view> header, std::uint64_t length) {
  const range_request none{range_kind::none, {0, 0}};
  const range_request invalid{range_kind::invalid, {0, 0}};
  if (!header) return none;
  const auto value = trim(*header);
  const auto equals = value.find('=');
  if (equals == std::string_view::npos) return invalid;
  const auto unit = trim(value.substr(0, equals));
  if (unit.empty()) return invalid;
  // Another unit is well formed but not ours to understand; RFC 9110 says ignore it.
  if (!iequals(unit, "bytes")) return none;

  // One malformed spec voids the whole header, even when earlier specs were fine.
  std::size_t satisfiable = 0;
  std::size_t specs = 0;
  byte_range chosen{0, 0};
  auto rest = value.substr(equals + 1);
  while (true) {
    const auto comma = rest.find(',');
    const auto element = trim(rest.substr(0, comma));
    // Empty list elements ("0-1, ,2-3") must be tolerated per RFC 9110 §5.6.1.2.
    if (!element.empty()) {
      const auto s = parse_spec(element);
      if (!s) return invalid;
      ++specs;
      if (const auto r = resolve(*s, length)) {
        if (satisfiable == 0) chosen = *r;
        ++satisfiable;
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (specs == 0) return invalid;
  if (satisfiable == 0) return {range_kind::unsatisfiable, {0, 0}};
  if (satisfiable == 1) return {range_kind::single, chosen};
  return {range_kind::multiple, {0, 0}};
}

std::string content_range(const byte_range& range, std::uint64_t length) {
  // Made for every Range answer: one buffer, no temporaries ("bytes " and three 20-digit numbers fit in 72).
  char text[72] = "bytes ";
  char* end = text + 6;
  const auto put = [&](std::uint64_t value, char after) {
    end = std::to_chars(end, text + sizeof text - 1, value).ptr;
    if (after != '\0') *end++ = after;
  };
  put(range.first, '-');
  put(range.last, '/');
  put(length, '\0');
  return std::string(text, end);
}

std::string unsatisfied_content_range(std::uint64_t length) { return "bytes */" + std::to_string(length); }

}  // namespace serenade::http
