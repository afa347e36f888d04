#include "http/conditional.hpp"

#include "http/range.hpp"

#include <array>

namespace serenade::http {

namespace {

constexpr std::array<std::string_view, 7> short_days = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> long_days = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Howard Hinnant's civil-calendar algorithms: exact for any proleptic Gregorian date, and free of gmtime's
// global state and time-zone settings.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
  constexpr std::array<unsigned, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

void append_padded(std::string& out, std::int64_t value, int width) {
  auto digits = std::to_string(value);
  if (digits.size() < static_cast<std::size_t>(width)) out.append(width - digits.size(), '0');
  out += digits;
}

std::optional<unsigned> digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  unsigned value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

template <std::size_t n>
bool is_one_of(std::string_view s, const std::array<std::string_view, n>& names) {
  for (auto name : names) {
    if (s == name) return true;
  }
  return false;
}

std::optional<unsigned> month_number(std::string_view s) {
  for (unsigned i = 0; i < months.size(); ++i) {
    if (s == months[i]) return i + 1;
  }
  return std::nullopt;
}

// Checks every field's range so "31 Feb" or "25:00:00" is rejected instead of silently rolling over.
// A second of 60 is allowed: the grammar permits a leap second.
std::optional<std::int64_t> to_unix(std::int64_t year, std::optional<unsigned> month, std::optional<unsigned> day,
                                    std::string_view time) {
  if (!month || !day || time.size() != 8 || time[2] != ':' || time[5] != ':') return std::nullopt;
  const auto hour = digits(time.substr(0, 2));
  const auto minute = digits(time.substr(3, 2));
  const auto second = digits(time.substr(6, 2));
  if (!hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  if (*day < 1 || *day > days_in_month(year, *month)) return std::nullopt;
  return days_from_civil(year, *month, *day) * 86400 + *hour * 3600 + *minute * 60 + *second;
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<std::int64_t> parse_imf_fixdate(std::string_view s) {
  if (s.size() != 29 || !is_one_of(s.substr(0, 3), short_days) || s.substr(3, 2) != ", " || s[7] != ' ' ||
      s[11] != ' ' || s[16] != ' ' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  const auto year = digits(s.substr(12, 4));
  if (!year) return std::nullopt;
  return to_unix(*year, month_number(s.substr(8, 3)), digits(s.substr(5, 2)), s.substr(17, 8));
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<std::int64_t> parse_rfc850(std::string_view s) {
  const auto comma = s.find(',');
  if (comma == std::string_view::npos || !is_one_of(s.substr(0, comma), long_days)) return std::nullopt;
  s.remove_prefix(comma + 1);
  if (s.size() != 23 || s[0] != ' ' || s[3] != '-' || s[7] != '-' || s[10] != ' ' || s.substr(19) != " GMT") {
    return std::nullopt;
  }
  const auto yy = digits(s.substr(8, 2));
  if (!yy) return std::nullopt;
  // RFC 9110 resolves two-digit years against the current date; a pure function has none, so use the
  // POSIX pivot instead: 70-99 are 19xx, 00-69 are 20xx. The two agree for every date until 2070.
  const std::int64_t year = *yy >= 70 ? 1900 + *yy : 2000 + *yy;
  return to_unix(year, month_number(s.substr(4, 3)), digits(s.substr(1, 2)), s.substr(11, 8));
}

// "Sun Nov  6 08:49:37 1994"
std::optional<std::int64_t> parse_asctime(std::string_view s) {
  if (s.size() != 24 || !is_one_of(s.substr(0, 3), short_days) || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' ||
      s[19] != ' ') {
    return std::nullopt;
  }
  // The day is two digits or a space and one digit.
  const auto day = s[8] == ' ' ? digits(s.substr(9, 1)) : digits(s.substr(8, 2));
  const auto year = digits(s.substr(20, 4));
  if (!year) return std::nullopt;
  return to_unix(*year, month_number(s.substr(4, 3)), day, s.substr(11, 8));
}

// The opaque-tag with any weakness indicator removed, for weak comparison.
std::string_view opaque_tag(std::string_view tag) { return tag.starts_with("W/") ? tag.substr(2) : tag; }

}  // namespace

std::string http_date(std::int64_t unix_seconds) {
  // Floor division, so instants before 1970 land on the right day.
  std::int64_t days = unix_seconds / 86400;
  std::int64_t seconds = unix_seconds % 86400;
  if (seconds < 0) {
    seconds += 86400;
    days -= 1;
  }
  const auto date = civil_from_days(days);
  const auto weekday = static_cast<std::size_t>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  std::string out;
  out.reserve(29);
  out += short_days[weekday];
  out += ", ";
  append_padded(out, date.day, 2);
  out += ' ';
  out += months[date.month - 1];
  out += ' ';
  append_padded(out, date.year, 4);
  out += ' ';
  append_padded(out, seconds / 3600, 2);
  out += ':';
  append_padded(out, seconds / 60 % 60, 2);
  out += ':';
  append_padded(out, seconds % 60, 2);
  out += " GMT";
  return out;
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
  const auto s = trim(text);
  if (s.size() < 4) return std::nullopt;
  if (s[3] == ',') return parse_imf_fixdate(s);
  if (s[3] == ' ') return parse_asctime(s);
  return parse_rfc850(s);
}

bool if_none_match_hits(std::optional<std::string_view> header, std::string_view etag) {
  if (!header) return false;
  auto rest = trim(*header);
  if (rest == "*") return true;
  const auto ours = opaque_tag(etag);
  bool hit = false;
  bool any = false;
  // The whole list is parsed before answering so a malformed field is ignored consistently, whether the
  // junk comes before or after a matching tag. Tags may contain commas, so split on quotes, not commas.
  while (true) {
    while (!rest.empty() && (is_ows(rest.front()) || rest.front() == ',')) rest.remove_prefix(1);
    if (rest.empty()) break;
    const auto start = rest.starts_with("W/") ? std::size_t{2} : std::size_t{0};
    if (rest.size() <= start || rest[start] != '"') return false;
    const auto close = rest.find('"', start + 1);
    if (close == std::string_view::npos) return false;
    hit = hit || rest.substr(start, close + 1 - start) == ours;
    any = true;
    rest.remove_prefix(close + 1);
    while (!rest.empty() && is_ows(rest.front())) rest.remove_prefix(1);
    if (!rest.empty() && rest.front() != ',') return false;
  }
  return any && hit;
}

bool if_range_allows(std::optional<std::string_view> header, const file_identity& id) {
  if (!header) return true;
  const auto value = trim(*header);
  // If-Range requires strong comparison: a weak tag on either side never matches.
  if (value.starts_with("W/") || value.starts_with('"')) return !id.etag.starts_with("W/") && value == id.etag;
  const auto date = parse_http_date(value);
  return date && *date == id.last_modified_unix;
}

file_answer answer_for_file(const request& req, const file_identity& id, std::string_view content_type,
                            std::string_view cache_control) {
  file_answer answer{200, 0, 0, {}};
  answer.headers.reserve(9);
  const auto add = [&](std::string name, std::string value) {
    answer.headers.emplace_back(std::move(name), std::move(value));
  };
  const auto add_validators = [&] {
    if (!id.etag.empty()) add("ETag", id.etag);
    add("Last-Modified", id.last_modified.empty() ? http_date(id.last_modified_unix) : id.last_modified);
    if (!cache_control.empty()) add("Cache-Control", std::string(cache_control));
  };

  // RFC 9110 §13.2.2 steps 3 and 4: If-Modified-Since only counts when If-None-Match is absent, because an
  // etag is the more precise validator.
  bool not_modified = false;
  if (const auto if_none_match = req.header("If-None-Match")) {
    not_modified = if_none_match_hits(if_none_match, id.etag);
  } else if (const auto since = req.header("If-Modified-Since")) {
    const auto date = parse_http_date(*since);
    not_modified = date && id.last_modified_unix <= *date;
  }
  if (not_modified) {
    answer.status = 304;
    add_validators();
    return answer;
  }

  // Step 5: a failed If-Range means the client's partial copy is stale, so the Range is ignored entirely
  // (even an unsatisfiable one) and the whole current file is sent.
  range_request range{range_kind::none, {0, 0}};
  if (const auto header = req.header("Range"); header && if_range_allows(req.header("If-Range"), id)) {
    range = parse_range(header, id.length);
  }

  if (range.kind == range_kind::unsatisfiable) {
    // No Cache-Control here: the file's (often long-lived) policy must not make an error cacheable.
    answer.status = 416;
    add("Content-Range", unsatisfied_content_range(id.length));
    add("Content-Length", "0");
    add("Accept-Ranges", "bytes");
    return answer;
  }

  add("Content-Type", std::string(content_type));
  if (range.kind == range_kind::single) {
    answer.status = 206;
    answer.offset = range.range.first;
    answer.length = range.range.last - range.range.first + 1;
    add("Content-Length", std::to_string(answer.length));
    add("Content-Range", content_range(range.range, id.length));
  } else {
    answer.length = id.length;
    add("Content-Length", std::to_string(id.length));
  }
  add("Accept-Ranges", "bytes");
  add_validators();
  return answer;
}

}  // namespace serenade::http
