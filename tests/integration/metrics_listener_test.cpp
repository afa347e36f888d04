// --metrics-listen: /metrics on an address of its own, and no longer on the public one.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <string>

namespace serenade::testing {
namespace {

TEST(metrics_listener, by_default_metrics_are_on_the_main_listener) {
  stack s;
  const auto page = s.api("GET", "/metrics");
  EXPECT_EQ(page.status, 200u);
  EXPECT_TRUE(metric_value(page.body, "serenade_upstream_connections").has_value()) << page.body;
}

TEST(metrics_listener, a_separate_listener_serves_metrics_and_the_main_one_does_not) {
  stack s({}, {"--metrics-listen", "127.0.0.1:0"});
  const auto metrics_port = s.server().wait_for_port("metrics");
  ASSERT_NE(metrics_port, s.api_port());

  const auto hidden = s.api("GET", "/metrics");
  EXPECT_EQ(hidden.status, 404u);
  EXPECT_EQ(hidden.body.find("serenade_"), std::string::npos) << hidden.body;

  const auto page = request(metrics_port, "GET", "/metrics");
  EXPECT_EQ(page.status, 200u);
  EXPECT_TRUE(page.header("content-type").starts_with("text/plain; version=0.0.4"));
  // The main listener's requests are counted on the metrics page, the 404 for /metrics among them.
  EXPECT_EQ(metric_value(page.body, "serenade_http_requests_total{route=\"/{*path}\",status=\"404\"}"), 1u)
      << page.body;

  // The metrics listener answers nothing else.
  EXPECT_EQ(request(metrics_port, "GET", "/").status, 404u);
  EXPECT_EQ(request(metrics_port, "GET", "/healthz").status, 404u);
  EXPECT_EQ(s.api("GET", "/healthz").status, 200u);
  EXPECT_EQ(s.server().terminate(20s), 0);
}

}  // namespace
}  // namespace serenade::testing
