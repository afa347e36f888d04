// Sonauto's webhooks as hints: a change reaches status-event clients through the webhook, confirmed by
// one status call and no polling; repeats, reordering and stale hints never move a song backwards; a wrong
// token is a 404 that changes nothing; over https the sender checks the receiver's certificate.
#include "harness.hpp"
#include "sse.hpp"
#include "tls_front.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <ostream>
#include <string>

namespace serenade::testing {
namespace {

std::vector<std::string> webhook_args(std::uint16_t port) {
  // Polling so rare it never happens during the test: every change must come through a webhook.
  auto args = webhook_receiver_args(port);
  args.insert(args.end(), {"--poll-interval-ms", "60000"});
  return args;
}

// With polling a minute away every change the client sees came through a webhook.
TEST(webhooks, a_change_reaches_event_clients_through_the_webhook_without_polling) {
  const auto port = free_loopback_port();
  stack s({.ready_after = 2}, webhook_args(port));
  const auto session = s.submit("hooked");
  stream_reader stream(s.api_port(), "/api/submissions/" + session + "/events");
  ASSERT_EQ(stream.status(), 200u);
  sse_reader events(stream);
  std::vector<std::string> seen;
  while (auto e = events.next()) {
    seen.push_back(e->status());
    if (e->phase() == "complete" || e->phase() == "failed") break;
  }
  EXPECT_NE(std::find(seen.begin(), seen.end(), "GENERATING_STREAMING_READY"), seen.end()) << "no stream-ready event";
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), "SUCCESS");
  const auto task = s.task_for("hooked");
  // Each webhook was confirmed with one status call, and a stream that ended without its final chunk asked once
  // how it ended; nothing was polled on a timer.
  const auto report = s.sim("GET", "/_sim/tasks/" + task).json().as_object();
  const auto status_calls = s.sim("GET", "/_sim/stats").json().at("status_calls").as_int64();
  const auto end_checks = s.metric("serenade_capture_ends_total{end=\"cut_after_generation\"}");
  EXPECT_LE(status_calls, report.at("webhooks_sent").as_int64() + static_cast<std::int64_t>(end_checks));
  EXPECT_GE(status_calls, 3);
}

// Serenade's public URL is https (a TLS terminator in front of it, as in production): the simulator posts its
// webhooks over TLS and checks the certificate against the CA it was given. With polling a minute away, the song
// still reaches SUCCESS through them. Without that CA the sender refuses the receiver: no webhook arrives, no
// handshake completes, and the song comes home by polling.
TEST(webhooks, arrive_over_https_and_the_sender_checks_the_certificate) {
  const auto certificate = make_test_certificate("localhost");
  const auto ca_file = make_temp_dir() + "/receiver-ca.pem";
  std::ofstream(ca_file) << certificate.cert_pem;
  for (const bool trusted : {true, false}) {
    const auto api_port = free_loopback_port();
    const auto front_port = free_loopback_port();
    std::vector<std::string> sim_args{"--log-level", "debug"};  // a failed webhook is logged at debug
    if (trusted) sim_args = {"--webhook-ca", ca_file};
    stack s({.ready_after = 1, .extra_args = sim_args},
            {"--listen", "127.0.0.1:" + std::to_string(api_port), "--public-url",
             "https://localhost:" + std::to_string(front_port), "--webhook-token",
             "hook-secret-0123456789-ABCDEFGHIJ-klmnop", "--poll-interval-ms", trusted ? "60000" : "150"});
    tls_front front(certificate, front_port, api_port);
    const auto session = s.submit(trusted ? "over-tls" : "untrusted-tls");
    s.wait_for_state(session, [](const boost::json::object& o) { return o.at("status").as_string() == "SUCCESS"; },
                     30s);
    const auto report =
        s.sim("GET", "/_sim/tasks/" + s.task_for(trusted ? "over-tls" : "untrusted-tls")).json().as_object();
    if (trusted) {
      EXPECT_GE(report.at("webhooks_sent").as_int64(), 3);
      EXPECT_EQ(report.at("webhooks_failed").as_int64(), 0);
      EXPECT_GE(front.handshakes(), 3u);
      EXPECT_GE(s.metric("serenade_webhooks_total{outcome=\"accepted\"}"), 3u);
    } else {
      EXPECT_EQ(report.at("webhooks_sent").as_int64(), 0);
      EXPECT_GE(report.at("webhooks_failed").as_int64(), 1);
      EXPECT_EQ(front.handshakes(), 0u) << "a handshake completed with a certificate the sender does not trust";
      EXPECT_NE(s.simulator().log().find("certificate verify failed"), std::string::npos);
    }
  }
}

struct webhook_mode {
  std::string name;  // the simulator's --webhooks value
};

// Names the ctest case after the mode: gtest would print the string with its quotes.
void PrintTo(const webhook_mode& m, std::ostream* out) { *out << m.name; }

class odd_webhooks : public ::testing::TestWithParam<webhook_mode> {};

TEST_P(odd_webhooks, never_move_a_song_backwards) {
  const auto port = free_loopback_port();
  stack s({.ready_after = 1.5, .extra_args = {"--webhooks", GetParam().name, "--webhook-delay", "0.3"}},
          webhook_args(port));
  const auto session = s.submit("odd-" + GetParam().name);
  stream_reader stream(s.api_port(), "/api/submissions/" + session + "/events");
  sse_reader events(stream);
  int last = -1;
  std::string final_status;
  while (auto e = events.next()) {
    const int now = rank(e->status());
    EXPECT_GE(now, last) << e->status() << " after a later state";
    last = std::max(last, now);
    final_status = e->status();
    if (e->phase() == "complete" || e->phase() == "failed") break;
  }
  EXPECT_EQ(final_status, "SUCCESS");
  // A stale hint after the end changes nothing either.
  const auto task = s.task_for("odd-" + GetParam().name);
  auto stale = s.api("POST", "/api/webhooks/sonauto/hook-secret-0123456789-ABCDEFGHIJ-klmnop",
                     R"({"task_id":")" + task + R"(","status":"GENERATING","extra":"ignored"})");
  EXPECT_EQ(stale.status, 204u);
  EXPECT_EQ(s.api("GET", "/api/submissions/" + session).json().at("status").as_string(), "SUCCESS");
}

INSTANTIATE_TEST_SUITE_P(webhooks, odd_webhooks,
                         ::testing::Values(webhook_mode{"duplicated"}, webhook_mode{"reordered"},
                                           webhook_mode{"delayed"}));

// Sonauto's payload is not documented: whatever comes on the right token is a hint. One that names no task wakes
// every follower; one in an envelope wakes its task.
TEST(webhooks, a_webhook_of_any_shape_on_the_right_token_is_a_hint) {
  const auto port = free_loopback_port();
  auto args = webhook_args(port);
  stack s({.ready_after = 1, .extra_args = {"--webhooks", "none"}}, args);
  const auto session = s.submit("shapeless");
  const auto task = s.task_for("shapeless");
  const auto sim_status = [&] { return std::string(s.sim("GET", "/_sim/tasks/" + task).json().at("status").as_string()); };
  const auto hook = "/api/webhooks/sonauto/hook-secret-0123456789-ABCDEFGHIJ-klmnop";
  wait_until([&] { return sim_status() == "GENERATING_STREAMING_READY"; }, [&] { return "simulator at " + sim_status(); });
  EXPECT_EQ(s.api("POST", hook, R"({"status":"GENERATING_STREAMING_READY"})").status, 204u);
  s.wait_for_state(session, is_stream_ready);
  wait_until([&] { return sim_status() == "SUCCESS"; }, [&] { return "simulator at " + sim_status(); });
  EXPECT_EQ(s.api("POST", hook, R"({"event":"status_update","data":{"task_id":")" + task + R"(","status":"SUCCESS"}})")
                .status,
            204u);
  s.wait_for_state(session, [](const boost::json::object& o) { return o.at("status").as_string() == "SUCCESS"; });
  EXPECT_EQ(s.api("POST", hook, "not json at all").status, 204u);
  const auto metrics = s.api("GET", "/metrics").body;
  EXPECT_NE(metrics.find("serenade_webhooks_total{outcome=\"without_task\"} 2\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("serenade_webhooks_total{outcome=\"accepted\"} 1\n"), std::string::npos) << metrics;
}

// A service that posts early changes but not readiness must not make readiness late: before a song can be
// streamed it is polled at the normal pace, however many webhooks came.
TEST(webhooks, webhooks_never_slow_polling_before_the_song_can_be_streamed) {
  stack s({.ready_after = 2, .extra_args = {"--webhooks", "none"}},
          {"--webhook-token", "hook-secret-0123456789-ABCDEFGHIJ-klmnop", "--webhook-poll-interval-ms", "600000"});
  const auto session = s.submit("early-hook");
  const auto task = s.task_for("early-hook");
  EXPECT_EQ(s.api("POST", "/api/webhooks/sonauto/hook-secret-0123456789-ABCDEFGHIJ-klmnop",
                  R"({"task_id":")" + task + R"(","status":"RECEIVED"})")
                .status,
            204u);
  // With the webhook pace (ten minutes) in force, readiness would never be seen within the wait.
  s.wait_for_state(session, is_stream_ready);
}

TEST(webhooks, a_wrong_token_is_404_and_changes_nothing) {
  const auto port = free_loopback_port();
  stack s({.ready_after = 30}, webhook_args(port));
  const auto session = s.submit("wrong-token");
  const auto task = s.task_for("wrong-token");
  // The simulator's own webhook for the new task makes Serenade poll once; wait for that poll (bounded), so it is
  // not taken for one the forged hint caused.
  const auto status_calls = [&] { return s.sim("GET", "/_sim/stats").json().at("status_calls").as_int64(); };
  wait_until([&] { return status_calls() >= 1; }, [] { return std::string("the first webhook was never confirmed"); });
  const auto calls_before = status_calls();
  auto reply = s.api("POST", "/api/webhooks/sonauto/not-the-token-at-all-x",
                     R"({"task_id":")" + task + R"(","status":"SUCCESS"})");
  EXPECT_EQ(reply.status, 404u);
  EXPECT_EQ(reply.header("content-type"), "application/json");
  EXPECT_EQ(status_calls(), calls_before) << "a forged hint was acted on";
  EXPECT_NE(s.api("GET", "/api/submissions/" + session).json().at("status").as_string(), "SUCCESS");
  EXPECT_NE(s.api("GET", "/metrics").body.find("serenade_webhooks_total{outcome=\"wrong_token\"} 1\n"), std::string::npos);
}

TEST(webhooks, the_generation_is_created_with_the_webhook_url_and_the_token_stays_secret) {
  const auto port = free_loopback_port();
  stack s({.ready_after = 30}, webhook_args(port));
  const auto session = s.submit("url");
  const auto task = s.task_for("url");
  const auto report = s.sim("GET", "/_sim/tasks/" + task).json().as_object();
  EXPECT_EQ(report.at("webhook_url").as_string(),
            "http://127.0.0.1:" + std::to_string(port) + "/api/webhooks/sonauto/hook-secret-0123456789-ABCDEFGHIJ-klmnop/" +
                session);
  EXPECT_EQ(s.server().log().find("hook-secret-0123456789-ABCDEFGHIJ-klmnop"), std::string::npos) << "the webhook token was logged";
}

}  // namespace
}  // namespace serenade::testing
