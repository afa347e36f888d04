#include "api/relay_key.hpp"

#include <gtest/gtest.h>

namespace serenade::api {
namespace {

http::request with_header(std::string value) {
  http::request r;
  r.headers.emplace_back("x-serenade-relay", std::move(value));
  return r;
}

TEST(relay_key, is_derived_from_the_token_and_never_is_the_token) {
  const std::string token = "Zq8w-Lr3.Xn5_Vb7~Mk2Jh4Gf6Dd9Ss1Aa0Pp";
  const auto key = relay_key(token);
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key, relay_key(token));
  EXPECT_NE(key, relay_key(token + "x"));
  EXPECT_EQ(key.find(token), std::string::npos);
}

TEST(relay_key, a_request_is_a_relay_only_with_the_exact_key) {
  const auto key = relay_key("Zq8w-Lr3.Xn5_Vb7~Mk2Jh4Gf6Dd9Ss1Aa0Pp");
  EXPECT_TRUE(is_relay(with_header(key), key));
  EXPECT_FALSE(is_relay(with_header(key.substr(1)), key));
  EXPECT_FALSE(is_relay(with_header(""), key));
  EXPECT_FALSE(is_relay(http::request{}, key));
  EXPECT_FALSE(is_relay(with_header(""), "")) << "an empty key relays nothing";
}

}  // namespace
}  // namespace serenade::api
