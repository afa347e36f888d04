#include "core/sha256.hpp"

#include "core/hex.hpp"

#include <openssl/evp.h>

namespace serenade::core {

std::string sha256_hex(std::span<const unsigned char> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned digest_length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &digest_length, EVP_sha256(), nullptr);
  return to_hex({digest, digest_length});
}

}  // namespace serenade::core
