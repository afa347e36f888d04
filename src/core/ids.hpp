#pragma once
#include <string>
#include <string_view>

namespace serenade::ids {

// 128 bits from the operating system's CSPRNG, base64url without padding (22 characters).
// Used for session ids and generated secrets: unguessable, URL-safe, fixed length.
std::string random_token();

// True for strings random_token() could have produced; lets routes refuse junk before a lookup.
bool looks_like_token(std::string_view text);

}  // namespace serenade::ids
