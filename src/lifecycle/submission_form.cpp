#include "lifecycle/submission_form.hpp"

#include "core/utf8.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace serenade::lifecycle {

namespace detail {

bool is_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
         cp == 0x3000;
}

bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

}  // namespace detail

namespace {

struct field_spec {
  std::string_view key;
  std::string_view subject;  // how a sentence names the field: "Your name", "The story"
  std::string_view missing;  // the sentence for an absent or blank field
  std::size_t min_chars;
  std::size_t max_chars;
  bool multiline;  // may contain line breaks and tabs
  bool optional = false;  // absent, null or blank is accepted as empty
};

// Form order: errors are reported in this order, and the first one becomes the detail.
constexpr field_spec fields[] = {
    {"sender", "Your name", "Please tell us your name.", name_min_chars, name_max_chars, false},
    {"recipient", "Their name", "Please tell us who the song is for.", name_min_chars, name_max_chars, false},
    {"story", "The story", "Please tell us your story.", story_min_chars, story_max_chars, true},
    {"style", "The style", "Please tell us what style of song you would like.", style_min_chars, style_max_chars,
     false},
    {"lyrics", "Your lyric sheet", "", lyrics_min_chars, lyrics_max_chars, true, true},
};

constexpr std::string_view several_errors = "Please check the highlighted fields.";

// 2345 -> "2,345": the numbers are read by people, and the form's limits are quoted the same way.
std::string with_thousands(std::size_t n) {
  auto digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string characters(std::size_t n) { return with_thousands(n) + (n == 1 ? " character" : " characters"); }

std::string_view trim(std::string_view text) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    auto d = utf8::decode_at(text, begin);
    if (!detail::is_space(d.code_point)) break;
    begin += d.length;
  }
  std::size_t end = text.size();
  while (end > begin) {
    // Step back to the start of the last code point (skip continuation bytes).
    std::size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(text[start]) & 0xc0) == 0x80) --start;
    if (!detail::is_space(utf8::decode_at(text, start).code_point)) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

// Browsers send textarea line breaks as LF, but other clients may send CRLF; both mean a new line.
std::string normalize_line_breaks(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += text[i];
  }
  return out;
}

bool has_forbidden_control(std::string_view text, bool multiline) {
  for (std::size_t i = 0; i < text.size();) {
    auto d = utf8::decode_at(text, i);
    if (detail::is_control(d.code_point) && !(multiline && (d.code_point == '\n' || d.code_point == '\t'))) {
      return true;
    }
    i += d.length;
  }
  return false;
}

// Returns the message for an unacceptable value, or nothing and the cleaned value in out.
std::optional<std::string> check_field(const field_spec& spec, const boost::json::object& object, std::string& out) {
  const boost::json::value* value = object.if_contains(spec.key);
  if (!value || value->is_null()) return spec.optional ? std::nullopt : std::optional(std::string(spec.missing));
  if (!value->is_string()) return fmt::format("{} must be text.", spec.subject);

  const auto& raw = value->get_string();
  std::string text(trim(std::string_view(raw.data(), raw.size())));
  if (spec.multiline) text = normalize_line_breaks(text);
  if (text.empty()) return spec.optional ? std::nullopt : std::optional(std::string(spec.missing));
  if (has_forbidden_control(text, spec.multiline)) {
    return spec.multiline
               ? fmt::format("{} can't contain control characters other than line breaks and tabs.", spec.subject)
               : fmt::format("{} can't contain line breaks or other control characters.", spec.subject);
  }
  // The parser only yields valid UTF-8, so the count is always there.
  const std::size_t length = utf8::code_points(text).value_or(0);
  if (length < spec.min_chars) return fmt::format("{} needs at least {}.", spec.subject, characters(spec.min_chars));
  if (length > spec.max_chars) {
    return fmt::format("{} is too long ({}); the limit is {}.", spec.subject, characters(length),
                       with_thousands(spec.max_chars));
  }
  out = std::move(text);
  return std::nullopt;
}

// The song's language: optional, one of the offered tags.
std::optional<std::string> check_language(const boost::json::object& object, std::string& out) {
  const boost::json::value* value = object.if_contains("language");
  if (!value || value->is_null()) return std::nullopt;
  const auto* tag = value->if_string();
  const auto* language = tag ? language_tagged(std::string_view(tag->data(), tag->size())) : nullptr;
  if (!language) return std::string("Please choose one of the languages offered.");
  out = language->tag;
  return std::nullopt;
}

}  // namespace

const song_language* language_tagged(std::string_view tag) {
  for (const auto& language : song_languages) {
    if (language.tag == tag) return &language;
  }
  return nullptr;
}

parse_result parse_submission_form(std::string_view body) {
  parse_result result;
  if (!utf8::is_valid(body)) {
    result.detail = "Request body is not valid UTF-8";
    return result;
  }
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
  if (ec || !parsed.is_object()) {
    result.detail = "Request body must be a JSON object";
    return result;
  }
  const auto& object = parsed.get_object();

  submission_form form;
  std::string* targets[] = {&form.sender, &form.recipient, &form.story, &form.style, &form.lyrics};
  for (std::size_t i = 0; i < std::size(fields); ++i) {
    if (auto message = check_field(fields[i], object, *targets[i])) {
      result.errors.push_back({std::string(fields[i].key), std::move(*message)});
    }
  }
  if (auto message = check_language(object, form.language)) result.errors.push_back({"language", std::move(*message)});
  if (result.errors.empty()) {
    result.form = std::move(form);
  } else {
    result.detail = result.errors.size() == 1 ? result.errors.front().message : std::string(several_errors);
  }
  return result;
}

}  // namespace serenade::lifecycle
