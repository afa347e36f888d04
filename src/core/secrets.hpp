#pragma once
// Values derived from a secret, and their comparison: what proves a request may do something without the secret
// itself ever being sent.
#include <string>
#include <string_view>

namespace serenade::core {

// HMAC-SHA256 of `message` under `secret`, in lowercase hex.
std::string keyed_digest(std::string_view secret, std::string_view message);
// Equal, compared in constant time (the time taken tells nothing of where they differ). False when either is empty.
bool same_secret(std::string_view given, std::string_view expected);

}  // namespace serenade::core
