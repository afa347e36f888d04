// The Sonauto API key must never leave the upstream request headers: not in answers, not in logs.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace serenade::testing {
namespace {

TEST(secrets, the_api_key_is_in_no_response_and_no_log_line) {
  stack s;
  const auto session = s.submit("secrets");
  s.wait_for_state(session, [](const boost::json::object& o) { return o.at("stream_ready").as_bool(); });
  stream_reader reader(s.api_port(), "/api/stream/" + session);
  reader.read_at_least(1024);
  reader.close();
  s.api("GET", "/api/submissions/" + session);
  s.api("GET", "/");
  // Failure paths too: upstream refusing the key on create and on the stream.
  s.sim("POST", "/_sim/control", R"({"api_key":"sksonauto_rotated"})");
  s.api("GET", "/api/stream/" + session);
  auto refused = s.api("POST", "/api/submissions", form_json("Ana", "Ben", story_with("refused-create"), "pop"));
  EXPECT_EQ(refused.status, 503u);
  EXPECT_EQ(std::string(refused.json().at("detail").as_string()),
            "The song service is misconfigured. Please try again later.");
  s.wait_for_metric("serenade_upstream_refusals_total{reason=\"misconfigured\"}", at_least(1));

  const std::string key = test_api_key;
  for (const auto& text : transcript()) EXPECT_EQ(text.find(key), std::string::npos) << text;
  const auto server_log = s.server().log();
  EXPECT_EQ(server_log.find(key), std::string::npos);
  EXPECT_EQ(server_log.find("TOPSECRET"), std::string::npos);
  EXPECT_EQ(s.simulator().log().find(key), std::string::npos);
  EXPECT_NE(server_log.find("event=listener_start"), std::string::npos) << "the run logged nothing: the check proves nothing";
}

}  // namespace
}  // namespace serenade::testing
