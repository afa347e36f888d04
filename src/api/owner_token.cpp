#include "api/owner_token.hpp"

#include "core/secrets.hpp"

namespace serenade::api {

std::string owner_token(const std::string& secret, std::string_view session_id) {
  return core::keyed_digest(secret, "serenade song owner " + std::string(session_id));
}

bool proves_ownership(const http::request& request, const std::string& secret, std::string_view session_id) {
  if (secret.empty()) return false;
  const auto authorization = request.header("Authorization");
  constexpr std::string_view scheme = "Bearer ";
  if (!authorization || !authorization->starts_with(scheme)) return false;
  return core::same_secret(authorization->substr(scheme.size()), owner_token(secret, session_id));
}

}  // namespace serenade::api
