#include "lifecycle/prompt.hpp"

#include "core/utf8.hpp"

#include <optional>
#include <vector>

namespace serenade::lifecycle {

namespace {

// The template, in pieces between the person's words.
constexpr std::string_view opening = "A heartfelt love song from ";
constexpr std::string_view to = " to ";
constexpr std::string_view in_style = ", in the style of ";
constexpr std::string_view sung_in = ", sung in ";
constexpr std::string_view sing_to = ". Sing to ";
constexpr std::string_view build_around = " by name and build the lyrics around their story, as ";
constexpr std::string_view tells_it = " tells it: ";
// Template text is ASCII, so its sizes in bytes are its lengths in characters.
constexpr std::size_t template_chars =
    opening.size() + to.size() + in_style.size() + sung_in.size() + sing_to.size() + build_around.size() +
    tells_it.size();

// Text as a list of code points, so lengths and cuts are in characters and never split a sequence.
using code_points = std::vector<char32_t>;

// One line: every run of whitespace or control characters becomes one space, ends trimmed.
code_points one_line(std::string_view text) {
  code_points out;
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size();) {
    auto d = utf8::decode_at(text, i);
    i += d.length;
    if (detail::is_space(d.code_point) || detail::is_control(d.code_point)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(U' ');
    pending_space = false;
    out.push_back(d.code_point);
  }
  return out;
}

// Names and style are validated to these lengths; the cap keeps the prompt bounded even if a caller
// skipped validation.
code_points capped(code_points text, std::size_t max_chars) {
  if (text.size() > max_chars) text.resize(max_chars);
  return text;
}

bool ends_sentence(char32_t c) {
  return c == U'.' || c == U'!' || c == U'?' || c == U'\u2026' || c == U'\u3002' || c == U'\uff01' ||
         c == U'\uff1f';
}

// Where the last whole sentence within `budget` characters ends, if that keeps at least half of the budget: a
// story cut there still reads as the person wrote it.
std::optional<std::size_t> sentence_cut(const code_points& story, std::size_t budget) {
  for (std::size_t end = budget; end >= budget / 2 && end > 0; --end) {
    const bool closed = ends_sentence(story[end - 1]);
    const bool cjk_stop = story[end - 1] >= U'\u3000';  // full-width stops need no space after them
    if (closed && (cjk_stop || story[end] == U' ')) return end;
  }
  return std::nullopt;
}

// Shortens to at most budget characters: after the last whole sentence that fits, or else at a word boundary,
// marked with an ellipsis.
code_points shortened(code_points story, std::size_t budget) {
  if (story.size() <= budget) return story;
  if (budget == 0) return {};
  if (const auto end = sentence_cut(story, budget)) {
    story.resize(*end);
    return story;
  }
  std::size_t cut = budget - 1;  // one character for the ellipsis
  if (story[cut] != U' ') {
    std::size_t space = cut;
    while (space > 0 && story[space] != U' ') --space;
    // A single word longer than the budget is cut mid-word rather than dropped.
    if (space > 0) cut = space;
  }
  while (cut > 0 && story[cut - 1] == U' ') --cut;
  story.resize(cut);
  story.push_back(U'\u2026');
  return story;
}

void append(std::string& out, const code_points& text) {
  for (char32_t cp : text) utf8::append(out, cp);
}

}  // namespace

std::string compose_prompt(const submission_form& form) {
  const auto sender = capped(one_line(form.sender), name_max_chars);
  const auto recipient = capped(one_line(form.recipient), name_max_chars);
  const auto style = capped(one_line(form.style), style_max_chars);
  const auto* language = language_tagged(form.language);
  const std::string_view language_name = language ? language->english : "English";

  // Both names appear twice. With the caps above this is far below max_prompt_chars.
  const std::size_t fixed =
      template_chars + 2 * sender.size() + 2 * recipient.size() + style.size() + language_name.size();
  const auto story = shortened(one_line(form.story), max_prompt_chars - fixed);

  std::string prompt(opening);
  append(prompt, sender);
  prompt += to;
  append(prompt, recipient);
  prompt += in_style;
  append(prompt, style);
  prompt += sung_in;
  prompt += language_name;
  prompt += sing_to;
  append(prompt, recipient);
  prompt += build_around;
  append(prompt, sender);
  prompt += tells_it;
  append(prompt, story);
  if (story.empty()) prompt.pop_back();  // no trailing space after the colon
  return prompt;
}

}  // namespace serenade::lifecycle
