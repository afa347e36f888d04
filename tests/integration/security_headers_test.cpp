// What a browser is told about Serenade's answers: the pages' content security policy and the other page
// headers, and nosniff on every answer.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
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

// The first inline script, style, event handler or javascript: URL in an HTML page; "" when it has none.
std::string inline_code_in(std::string html) {
  std::transform(html.begin(), html.end(), html.begin(), [](unsigned char c) { return std::tolower(c); });
  for (auto at = html.find("<script"); at != std::string::npos; at = html.find("<script", at + 1)) {
    const auto tag = html.substr(at, html.find('>', at) - at);
    if (tag.find(" src=") == std::string::npos) return tag;
  }
  for (const auto* needle : {"<style>", "<style ", " style=", "javascript:"}) {
    if (html.find(needle) != std::string::npos) return needle;
  }
  for (auto at = html.find(" on"); at != std::string::npos; at = html.find(" on", at + 1)) {
    auto end = at + 3;
    while (end < html.size() && std::isalpha(static_cast<unsigned char>(html[end]))) ++end;
    if (end > at + 3 && end < html.size() && html[end] == '=') return html.substr(at, end - at + 1);
  }
  return "";
}

TEST(security_headers, the_page_and_a_share_link_carry_the_page_policy) {
  stack s;
  const auto session = s.submit("headers");
  const auto page = s.api("GET", "/");
  expect_page_headers(page, "/");
  expect_page_headers(s.api("GET", "/s/" + session), "/s/{id}");
  expect_page_headers(s.api("GET", "/index.html"), "/index.html");

  // The policy allows no inline script, style or event handler: the page must have none.
  EXPECT_EQ(inline_code_in(page.body), "") << page.body;
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
