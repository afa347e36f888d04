#include "api/relay_key.hpp"

#include "core/hex.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace serenade::api {

std::string relay_key(const std::string& webhook_token) {
  static constexpr std::string_view label = "serenade instance relay";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), webhook_token.data(), static_cast<int>(webhook_token.size()),
       reinterpret_cast<const unsigned char*>(label.data()), label.size(), digest, &length);
  return core::to_hex({digest, length});
}

bool is_relay(const http::request& request, const std::string& key) {
  if (key.empty()) return false;
  const auto given = request.header(relay_header);
  return given && given->size() == key.size() && CRYPTO_memcmp(given->data(), key.data(), key.size()) == 0;
}

}  // namespace serenade::api
