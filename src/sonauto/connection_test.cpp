#include "sonauto/detail/connection.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

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

TEST(resource, keeps_path_and_query_encoding_and_drops_the_fragment) {
  auto r = parse_resource("https://CDN.Sonauto.ai/songs/a%2Fb%20c.mp3?sig=x%2By&e=1#t=3", "url");
  EXPECT_TRUE(r.where.tls);
  EXPECT_EQ(r.where.host, "CDN.Sonauto.ai");
  EXPECT_EQ(r.where.port, "443");
  EXPECT_EQ(r.target, "/songs/a%2Fb%20c.mp3?sig=x%2By&e=1");
  EXPECT_EQ(parse_resource("http://127.0.0.1:8080", "url").target, "/");
  EXPECT_EQ(parse_resource("http://127.0.0.1:8080?x", "url").target, "/?x");
  for (const char* bad : {"", "/songs/x.mp3", "ftp://cdn/x", "https://u:p@cdn/x", "https:///x", "http://cdn:0/x"}) {
    EXPECT_THROW(parse_resource(bad, "url"), std::invalid_argument) << bad;
  }
}

TEST(resource, same_origin_is_scheme_host_and_port) {
  auto origin = [](const char* url) { return parse_resource(url, "url").where; };
  EXPECT_TRUE(same_origin(origin("https://api.sonauto.ai/v1"), origin("https://API.sonauto.ai:443/cdn/x")));
  EXPECT_FALSE(same_origin(origin("https://api.sonauto.ai/v1"), origin("http://api.sonauto.ai/v1")));
  EXPECT_FALSE(same_origin(origin("https://api.sonauto.ai/v1"), origin("https://api.sonauto.ai:8443/v1")));
  EXPECT_FALSE(same_origin(origin("https://api.sonauto.ai/v1"), origin("https://cdn.sonauto.ai/v1")));
  EXPECT_FALSE(same_origin(origin("https://api.sonauto.ai/v1"), origin("https://api.sonauto.ai.evil.example/v1")));
  EXPECT_TRUE(same_origin(origin("http://[::1]:80/"), origin("http://[0:0::1]/")));
}

TEST(resource, references_resolve_as_in_rfc_3986) {
  // RFC 3986 section 5.4, normal and abnormal examples.
  const std::string base = "http://a/b/c/d;p?q";
  const std::pair<const char*, const char*> cases[] = {
      {"g:h", "g:h"}, {"g", "http://a/b/c/g"}, {"./g", "http://a/b/c/g"}, {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"}, {"//g", "http://g"}, {"?y", "http://a/b/c/d;p?y"}, {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q#s"}, {"g#s", "http://a/b/c/g#s"}, {"g?y#s", "http://a/b/c/g?y#s"},
      {";x", "http://a/b/c/;x"}, {"g;x", "http://a/b/c/g;x"}, {"g;x?y#s", "http://a/b/c/g;x?y#s"},
      {"", "http://a/b/c/d;p?q"}, {".", "http://a/b/c/"}, {"./", "http://a/b/c/"}, {"..", "http://a/b/"},
      {"../", "http://a/b/"}, {"../g", "http://a/b/g"}, {"../..", "http://a/"}, {"../../", "http://a/"},
      {"../../g", "http://a/g"}, {"../../../g", "http://a/g"}, {"../../../../g", "http://a/g"},
      {"/./g", "http://a/g"}, {"/../g", "http://a/g"}, {"g.", "http://a/b/c/g."}, {".g", "http://a/b/c/.g"},
      {"g..", "http://a/b/c/g.."}, {"..g", "http://a/b/c/..g"}, {"./../g", "http://a/b/g"},
      {"./g/.", "http://a/b/c/g/"}, {"g/./h", "http://a/b/c/g/h"}, {"g/../h", "http://a/b/c/h"},
      {"g;x=1/./y", "http://a/b/c/g;x=1/y"}, {"g;x=1/../y", "http://a/b/c/y"}, {"g?y/./x", "http://a/b/c/g?y/./x"},
      {"http:g", "http:g"}};
  for (const auto& [reference, expected] : cases) {
    EXPECT_EQ(resolve_reference(base, reference), std::optional<std::string>(expected)) << reference;
  }
}

TEST(resource, resolving_keeps_percent_encoding_as_written) {
  const std::string base = "https://api.sonauto.ai/v1/songs/a%2Fb.mp3?k=%2B";
  EXPECT_EQ(resolve_reference(base, "https://cdn.example/x%2Fy%20z.mp3?s=a%2Bb%3D"),
            "https://cdn.example/x%2Fy%20z.mp3?s=a%2Bb%3D");
  EXPECT_EQ(resolve_reference(base, "c%2Fd.mp3"), "https://api.sonauto.ai/v1/songs/c%2Fd.mp3");
  EXPECT_EQ(resolve_reference(base, "../%7Efiles/x%41.mp3"), "https://api.sonauto.ai/v1/%7Efiles/x%41.mp3");
  EXPECT_EQ(resolve_reference(base, "?q=%2F"), "https://api.sonauto.ai/v1/songs/a%2Fb.mp3?q=%2F");
  EXPECT_FALSE(resolve_reference(base, "has space"));
  EXPECT_FALSE(resolve_reference("not absolute", "/x"));
}

}  // namespace
}  // namespace serenade::sonauto::detail
