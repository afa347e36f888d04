// What a browser is told about Serenade's answers: the pages' content security policy and the other page
// headers, and nosniff on every answer.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

namespace serenade::testing {
namespace {

void expect_page_headers(const http_reply& page, const std::string& what) {
  EXPECT_EQ(page.status, 200u) << what;
  EXPECT_EQ(page.header("content-security-policy"),
            "default-src 'self'; img-src 'self' data:; media-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")
      << what;
  EXPECT_EQ(page.header("x-frame-options"), "DENY") << what;
  EXPECT_EQ(page.header("referrer-policy"), "no-referrer") << what;
  EXPECT_EQ(page.header("permissions-policy"), "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
      << what;
  EXPECT_EQ(page.header("x-content-type-options"), "nosniff") << what;
}

TEST(security_headers, the_page_and_a_share_link_carry_the_page_policy) {
  stack s;
  const auto session = s.submit("headers");
  const auto page = s.api("GET", "/");
  expect_page_headers(page, "/");
  expect_page_headers(s.api("GET", "/s/" + session), "/s/{id}");
  expect_page_headers(s.api("GET", "/index.html"), "/index.html");

  // The policy allows no inline script, style or event handler: the page must have none.
  for (const auto* inline_code : {R"(<script(?![^>]*\ssrc=)[^>]*>)", R"(<style[\s>])", R"(\sstyle=)",
                                  R"(\son[a-z]+=)", R"(javascript:)"}) {
    EXPECT_FALSE(std::regex_search(page.body, std::regex(inline_code, std::regex::icase))) << inline_code;
  }
}

TEST(security_headers, every_answer_is_marked_nosniff) {
  stack s({.song_seconds = 20, .speed = 1});
  const auto session = s.submit("nosniff");
  s.wait_for_state(session, is_stream_ready);
  for (const auto& target : std::vector<std::string>{"/app.js", "/style.css", "/healthz", "/metrics",
                                                     "/api/submissions/" + session,
                                                     "/api/submissions/AAAAAAAAAAAAAAAAAAAAAA", "/no-such-page"}) {
    const auto reply = s.api("GET", target);
    EXPECT_NE(reply.status, 0u) << target;
    EXPECT_EQ(reply.header("x-content-type-options"), "nosniff") << target << " " << reply.status;
    EXPECT_EQ(reply.header("content-security-policy"), "") << target;
  }
  for (const auto& target : std::vector<std::string>{"/api/stream/" + session, "/api/submissions/" + session + "/events"}) {
    stream_reader reader(s.api_port(), target);
    EXPECT_EQ(reader.status(), 200u) << target;
    EXPECT_EQ(reader.header("x-content-type-options"), "nosniff") << target;
  }
}

}  // namespace
}  // namespace serenade::testing
