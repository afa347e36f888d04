#include "api/relay_key.hpp"

#include "core/secrets.hpp"

namespace serenade::api {

std::string relay_key(const std::string& webhook_token) {
  return core::keyed_digest(webhook_token, "serenade instance relay");
}

bool is_relay(const http::request& request, const std::string& key) {
  if (key.empty()) return false;
  const auto given = request.header(relay_header);
  return given && core::same_secret(*given, key);
}

}  // namespace serenade::api
