#include "core/secrets.hpp"

#include <gtest/gtest.h>

namespace serenade::core {
namespace {

TEST(secrets, keyed_digest_is_rfc_4231s_hmac_sha256) {
  // RFC 4231, test case 2.
  EXPECT_EQ(keyed_digest("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(secrets, same_secret_needs_both_equal_and_not_empty) {
  EXPECT_TRUE(same_secret("abc", "abc"));
  EXPECT_FALSE(same_secret("abd", "abc"));
  EXPECT_FALSE(same_secret("ab", "abc"));
  EXPECT_FALSE(same_secret("", ""));
}

}  // namespace
}  // namespace serenade::core
