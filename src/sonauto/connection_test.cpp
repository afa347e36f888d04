#include "sonauto/detail/connection.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace serenade::sonauto::detail {
namespace {

TEST(endpoint, https_name_with_default_port) {
  auto where = parse_base("https://api.sonauto.ai/v1", "api");
  EXPECT_TRUE(where.tls);
  EXPECT_EQ(where.host, "api.sonauto.ai");
  EXPECT_TRUE(where.host_is_name);
  EXPECT_EQ(where.port, "443");
  EXPECT_EQ(where.host_header, "api.sonauto.ai");
  EXPECT_EQ(where.path, "/v1");
}

TEST(endpoint, explicit_default_port_stays_out_of_host_header) {
  auto where = parse_base("https://api-stream.sonauto.ai:443", "stream");
  EXPECT_EQ(where.port, "443");
  EXPECT_EQ(where.host_header, "api-stream.sonauto.ai");
  EXPECT_EQ(where.path, "");
}

TEST(endpoint, plain_ip_literals_with_ports) {
  auto v4 = parse_base("http://127.0.0.1:8089/", "api");
  EXPECT_FALSE(v4.tls);
  EXPECT_FALSE(v4.host_is_name);  // no SNI for addresses
  EXPECT_EQ(v4.host, "127.0.0.1");
  EXPECT_EQ(v4.port, "8089");
  EXPECT_EQ(v4.host_header, "127.0.0.1:8089");
  EXPECT_EQ(v4.path, "");

  auto v6 = parse_base("http://[::1]:8080/sim/v1//", "api");
  EXPECT_EQ(v6.host, "::1");  // the resolver wants it without brackets
  EXPECT_EQ(v6.host_header, "[::1]:8080");
  EXPECT_EQ(v6.path, "/sim/v1");

  EXPECT_EQ(parse_base("http://localhost", "api").port, "80");
}

TEST(endpoint, rejects_what_it_cannot_use) {
  for (const char* bad : {"", "api.sonauto.ai", "ftp://api.sonauto.ai", "https://", "https://:443/v1",
                          "https://u:p@api.sonauto.ai", "https://api.sonauto.ai/v1?k=1", "https://api.sonauto.ai/#x",
                          "https://api.sonauto.ai:99999"}) {
    EXPECT_THROW(parse_base(bad, "SONAUTO_API_BASE"), std::invalid_argument) << bad;
  }
  try {
    parse_base("ftp://x", "SONAUTO_API_BASE");
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "SONAUTO_API_BASE 'ftp://x' must start with http:// or https://");
  }
}

}  // namespace
}  // namespace serenade::sonauto::detail
