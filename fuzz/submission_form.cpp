// The love-story form (lifecycle/submission_form.cpp) as a client posts it to /api/submissions.
//
// Input: the request body.
#include "check.hpp"
#include "core/utf8.hpp"
#include "lifecycle/submission_form.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace lifecycle = serenade::lifecycle;
namespace utf8 = serenade::utf8;

void check_field(const std::string& text, std::size_t min_chars, std::size_t max_chars, bool multiline) {
  const auto chars = utf8::code_points(text);
  FUZZ_CHECK(chars.has_value());
  FUZZ_CHECK(*chars >= min_chars && *chars <= max_chars);
  // Trimmed: neither end is Unicode white space.
  const auto first = utf8::decode_at(text, 0);
  FUZZ_CHECK(!lifecycle::detail::is_space(first.code_point));
  std::size_t last_start = text.size() - 1;
  while (last_start > 0 && (static_cast<unsigned char>(text[last_start]) & 0xc0) == 0x80) --last_start;
  FUZZ_CHECK(!lifecycle::detail::is_space(utf8::decode_at(text, last_start).code_point));
  for (std::size_t i = 0; i < text.size();) {
    const auto d = utf8::decode_at(text, i);
    FUZZ_CHECK(d.length >= 1 && d.length <= 4 && i + d.length <= text.size());
    if (lifecycle::detail::is_control(d.code_point)) {
      FUZZ_CHECK(multiline && (d.code_point == '\n' || d.code_point == '\t'));
    }
    // The decoder and the encoder agree on every code point a field holds.
    std::string again;
    utf8::append(again, d.code_point);
    FUZZ_CHECK(again == std::string_view(text).substr(i, d.length));
    i += d.length;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto result = lifecycle::parse_submission_form(body);
  FUZZ_CHECK(result.ok() == (result.errors.empty() && result.detail.empty()));
  if (!result.ok()) {
    FUZZ_CHECK(!result.detail.empty());
    static const std::string_view order[] = {"sender", "recipient", "story", "style", "lyrics", "language"};
    std::size_t next = 0;
    for (const auto& error : result.errors) {
      while (next < std::size(order) && order[next] != error.field) ++next;
      FUZZ_CHECK(next < std::size(order));  // a known field, in form order, once
      ++next;
      FUZZ_CHECK(!error.message.empty());
    }
    return 0;
  }
  const auto& form = *result.form;
  check_field(form.sender, lifecycle::name_min_chars, lifecycle::name_max_chars, false);
  check_field(form.recipient, lifecycle::name_min_chars, lifecycle::name_max_chars, false);
  check_field(form.story, lifecycle::story_min_chars, lifecycle::story_max_chars, true);
  check_field(form.style, lifecycle::style_min_chars, lifecycle::style_max_chars, false);
  if (!form.lyrics.empty()) check_field(form.lyrics, lifecycle::lyrics_min_chars, lifecycle::lyrics_max_chars, true);
  FUZZ_CHECK(lifecycle::language_tagged(form.language) != nullptr);

  // A form that was accepted, sent again as it was cleaned, is accepted unchanged.
  boost::json::object again;
  again["sender"] = form.sender;
  again["recipient"] = form.recipient;
  again["story"] = form.story;
  again["style"] = form.style;
  if (!form.lyrics.empty()) again["lyrics"] = form.lyrics;
  again["language"] = form.language;
  const auto reparsed = lifecycle::parse_submission_form(boost::json::serialize(again));
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(reparsed.form->sender == form.sender && reparsed.form->recipient == form.recipient &&
             reparsed.form->story == form.story && reparsed.form->style == form.style &&
             reparsed.form->lyrics == form.lyrics && reparsed.form->language == form.language);
  return 0;
}
