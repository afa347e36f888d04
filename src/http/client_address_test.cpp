#include "http/client_address.hpp"

#include <gtest/gtest.h>

#include <string>

namespace serenade::http {
namespace {

TEST(client_key, remote_address_without_a_trusted_proxy) {
  EXPECT_EQ(client_key("203.0.113.7", std::nullopt, false), "203.0.113.7");
  EXPECT_EQ(client_key("203.0.113.7", "198.51.100.1", false), "203.0.113.7");
  EXPECT_EQ(client_key("203.0.113.7", std::nullopt, true), "203.0.113.7");
}

TEST(client_key, first_forwarded_hop_behind_a_trusted_proxy) {
  EXPECT_EQ(client_key("10.0.0.2", "198.51.100.1", true), "198.51.100.1");
  EXPECT_EQ(client_key("10.0.0.2", "198.51.100.1, 10.0.0.9, 10.0.0.8", true), "198.51.100.1");
  EXPECT_EQ(client_key("10.0.0.2", " \t198.51.100.1 ,10.0.0.9", true), "198.51.100.1");
  EXPECT_EQ(client_key("10.0.0.2", "2001:DB8:0:0::1, 10.0.0.9", true), "2001:db8::1");
  EXPECT_EQ(client_key("10.0.0.2", "[2001:db8::1]:443", true), "2001:db8::1");
  EXPECT_EQ(client_key("10.0.0.2", "[2001:db8::1]", true), "2001:db8::1");
  EXPECT_EQ(client_key("10.0.0.2", "198.51.100.1:5678", true), "198.51.100.1");
  EXPECT_EQ(client_key("10.0.0.2", "::ffff:198.51.100.1", true), "198.51.100.1");
  EXPECT_EQ(client_key("10.0.0.2", "[::ffff:198.51.100.1]:80", true), "198.51.100.1");
}

TEST(client_key, falls_back_to_the_remote_address_for_a_bad_first_hop) {
  for (const char* bad : {"", " ", ",198.51.100.1", "unknown", "client.example", "198.51.100", "198.51.100.256",
                          "01.2.3.4", "198.51.100.1:http", "198.51.100.1:123456", "[198.51.100.1]",
                          "[2001:db8::1", "[2001:db8::1]x", "2001:db8::1%eth0", "_hidden", "1.2.3.4 5.6.7.8",
                          "\"198.51.100.1\""}) {
    EXPECT_EQ(client_key("10.0.0.2", bad, true), "10.0.0.2") << '"' << bad << '"';
  }
  EXPECT_EQ(client_key("10.0.0.2", std::string(100, '1'), true), "10.0.0.2");
}

TEST(client_key, remote_address_is_canonical) {
  EXPECT_EQ(client_key("::ffff:203.0.113.7", std::nullopt, false), "203.0.113.7");
  EXPECT_EQ(client_key("2001:0DB8:0000::0001", std::nullopt, false), "2001:db8::1");
  // Not an address (a test double, a Unix socket): kept as it is rather than lost.
  EXPECT_EQ(client_key("local", std::nullopt, false), "local");
}

TEST(canonical_ip, accepts_only_literals) {
  EXPECT_EQ(canonical_ip("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(canonical_ip("::1"), "::1");
  EXPECT_EQ(canonical_ip("::"), "::");
  EXPECT_FALSE(canonical_ip(""));
  EXPECT_FALSE(canonical_ip("localhost"));
  EXPECT_FALSE(canonical_ip("1.2.3.4 "));
  EXPECT_FALSE(canonical_ip(std::string_view("1.2.3.4\0junk", 12)));
}

}  // namespace
TEST(client_group, an_ipv6_client_is_its_whole_64) {
  EXPECT_EQ(client_group("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_group("2001:db8:1:2::1"), client_group("2001:db8:1:2:ffff::9"));
  EXPECT_NE(client_group("2001:db8:1:2::1"), client_group("2001:db8:1:3::1"));
}

TEST(client_group, an_ipv4_client_is_its_address_mapped_or_not) {
  EXPECT_EQ(client_group("192.0.2.7"), "192.0.2.7/32");
  EXPECT_EQ(client_group("::ffff:192.0.2.7"), "192.0.2.7/32");
  EXPECT_NE(client_group("192.0.2.7"), client_group("192.0.2.8"));
}

TEST(network_group, groups_an_ipv4_24_and_an_ipv6_48) {
  EXPECT_EQ(network_group("192.0.2.7"), "192.0.2.0/24");
  EXPECT_EQ(network_group("192.0.2.7"), network_group("192.0.2.200"));
  EXPECT_NE(network_group("192.0.2.7"), network_group("192.0.3.7"));
  EXPECT_EQ(network_group("2001:db8:1:2::1"), "2001:db8:1::/48");
  EXPECT_EQ(network_group("2001:db8:1:ffff::1"), network_group("2001:db8:1:2::1"));
}

TEST(client_group, text_that_is_no_address_is_its_own_group) {
  EXPECT_EQ(client_group("unix-socket"), "unix-socket");
  EXPECT_EQ(network_group(""), "");
}

}  // namespace serenade::http
