#pragma once
// The text-to-song prompt sent to Sonauto. It holds only fixed template text and the person's own
// words, so what the model is asked is exactly what the person wrote and nothing we invented.
#include "lifecycle/submission_form.hpp"

#include <cstddef>
#include <string>

namespace serenade::lifecycle {

// In code points. Sonauto does not document a limit; public clients of it send at most 800 to 1,500 characters,
// so Serenade stays at the top of what is known to work. The story is shortened to stay within it: after its
// last whole sentence that fits, or at a word boundary with an ellipsis when that would keep too little.
inline constexpr std::size_t max_prompt_chars = 1500;

// Deterministic: the same form always gives the same prompt. Each field becomes one line of text
// (whitespace runs collapse to a single space); malformed UTF-8 would come out as U+FFFD.
std::string compose_prompt(const submission_form& form);

}  // namespace serenade::lifecycle
