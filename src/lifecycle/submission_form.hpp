#pragma once
// The love-story form as a person submits it: parsed, trimmed and checked before anything is stored or
// sent upstream. Messages are written for the person filling in the form, not for developers.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace serenade::lifecycle {

// Lengths in Unicode code points after trimming. The web form mirrors these; note that HTML maxlength
// counts UTF-16 units, so the browser is at most stricter than the server, never looser.
inline constexpr std::size_t name_min_chars = 1;
inline constexpr std::size_t name_max_chars = 80;
inline constexpr std::size_t story_min_chars = 20;
inline constexpr std::size_t story_max_chars = 2000;
inline constexpr std::size_t style_min_chars = 1;
inline constexpr std::size_t style_max_chars = 80;
// The person's own lyrics, optional. Sonauto publishes no limit; a four-minute song sings about 2,000 characters.
inline constexpr std::size_t lyrics_min_chars = 20;
inline constexpr std::size_t lyrics_max_chars = 3000;

// The languages a song can be sung in: what the form offers, by BCP 47 tag. Kept short on purpose: the ones the
// model is known to sing well. A form that names none asks for English.
struct song_language {
  std::string_view tag;      // what the form sends ("fr")
  std::string_view english;  // how the prompt names it ("French")
};
inline constexpr song_language song_languages[] = {
    {"en", "English"}, {"es", "Spanish"}, {"fr", "French"},   {"de", "German"},
    {"it", "Italian"}, {"pt", "Portuguese"}, {"ja", "Japanese"}, {"ko", "Korean"},
};
inline constexpr std::string_view default_language = "en";

// The language of `tag`, or nothing when the form offers no such language.
const song_language* language_tagged(std::string_view tag);

struct submission_form {
  std::string sender;     // "your name"
  std::string recipient;  // "their name"
  std::string story;
  std::string style;
  std::string lyrics;     // "write the lyrics yourself": empty when the song's lyrics are left to Sonauto
  std::string language{default_language};  // a tag of song_languages
};

struct field_error {
  std::string field;    // the JSON key: sender, recipient, story, style, lyrics or language
  std::string message;  // a sentence to show next to that field
};

struct parse_result {
  std::optional<submission_form> form;  // set exactly when the submission is acceptable
  std::vector<field_error> errors;      // in form order; empty when the body itself is unusable
  std::string detail;                   // one overall sentence; empty when form is set

  bool ok() const { return form.has_value(); }
};

// body is the raw HTTP request body, expected to be a JSON object; unknown keys are ignored.
parse_result parse_submission_form(std::string_view body);

namespace detail {

// Text helpers shared with prompt.cpp.
bool is_space(char32_t code_point);    // Unicode White_Space
bool is_control(char32_t code_point);  // general category Cc: C0, DEL, C1

}  // namespace detail

}  // namespace serenade::lifecycle
