#include "sonauto/wire.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace serenade::sonauto {
namespace {
namespace json = boost::json;

TEST(wire, create_body_has_exactly_the_streaming_fields) {
  generation_request request{.prompt = "A song for Ana",
                             .tags = {"pop", "romantic"},
                             .webhook_url = "https://serenade.example/hook/tok"};
  auto body = json::parse(wire::create_body(request));
  EXPECT_EQ(body, json::parse(R"({"prompt":"A song for Ana","tags":["pop","romantic"],"enable_streaming":true,
    "stream_format":"mp3","output_format":"mp3","output_bit_rate":192,
    "webhook_url":"https://serenade.example/hook/tok"})"));
}

TEST(wire, create_body_omits_empty_tags_and_unset_webhook) {
  auto body = json::parse(wire::create_body(generation_request{.prompt = "x"})).as_object();
  EXPECT_FALSE(body.contains("tags"));
  EXPECT_FALSE(body.contains("lyrics"));
  EXPECT_FALSE(body.contains("webhook_url"));
  EXPECT_EQ(body.size(), 5u);
}

TEST(wire, create_body_carries_own_lyrics_as_given) {
  const std::string words = "[Verse]\nUnder one umbrella, \"Lisbon\" in the rain 🌧\n\tBen";
  auto body = json::parse(wire::create_body(generation_request{.prompt = "x", .lyrics = words})).as_object();
  EXPECT_EQ(body.at("lyrics").as_string(), words);
  EXPECT_EQ(body.at("prompt").as_string(), "x");
}

TEST(wire, status_accepts_documented_and_plausible_shapes) {
  EXPECT_EQ(wire::parse_status(R"("GENERATING")").value().status, task_status::generating);
  EXPECT_EQ(wire::parse_status(" \"SUCCESS\"\n").value().status, task_status::success);
  EXPECT_EQ(wire::parse_status(R"({"status":"FAILURE"})").value().status, task_status::failure);
  EXPECT_EQ(wire::parse_status("GENERATING_STREAMING_READY\n").value().status, task_status::generating_streaming_ready);
  const auto unheard = wire::parse_status(R"("SOMETHING_NEW")");
  ASSERT_TRUE(unheard);
  EXPECT_EQ(unheard.value().status, task_status::unknown);
  EXPECT_EQ(unheard.value().text, "SOMETHING_NEW");
  auto bad = wire::parse_status("<html>oops</html>");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, failure_kind::protocol);
  EXPECT_FALSE(wire::parse_status(R"("")"));
}

TEST(wire, credits_add_up_both_balances_and_refuse_odd_counts) {
  auto both = wire::parse_credits(R"({"num_credits":1200,"num_credits_payg":300,"extra":true})");
  ASSERT_TRUE(both);
  EXPECT_EQ(both.value().total(), 1500);
  auto no_payg = wire::parse_credits(R"({"num_credits":0})");
  ASSERT_TRUE(no_payg);
  EXPECT_EQ(no_payg.value().total(), 0);
  for (const char* odd : {R"({"num_credits":-5})", R"({"num_credits":"100"})", R"({"num_credits":1.5})",
                          R"({"num_credits_payg":100})", R"({"num_credits":10,"num_credits_payg":null})", "[]", "x",
                          R"({"num_credits":18446744073709551615})"}) {
    EXPECT_FALSE(wire::parse_credits(odd)) << odd;
  }
}

TEST(wire, task_id_requires_a_non_empty_string) {
  EXPECT_EQ(wire::parse_task_id(R"({"task_id":"0f3c","extra":1})").value(), "0f3c");
  EXPECT_FALSE(wire::parse_task_id(R"({"task_id":null})"));
  EXPECT_FALSE(wire::parse_task_id(R"(["0f3c"])"));
  EXPECT_FALSE(wire::parse_task_id("not json"));
}

TEST(wire, result_tolerates_nulls_missing_and_unknown_fields) {
  auto full = wire::parse_result(R"({"id":"t1","created_at":"2024-01-01T00:00:00Z","status":"SUCCESS",
    "model_version":"v3-preview","song_paths":["https://cdn.example/a.mp3","https://cdn.example/b.mp3"],
    "error_message":null,"lyrics":"la la","prompt":"p","tags":["pop",7,null],"alignment_status":null,
    "new_field":{"nested":[1,2]}})");
  ASSERT_TRUE(full);
  EXPECT_EQ(full.value().id, "t1");
  EXPECT_EQ(full.value().status, "SUCCESS");
  EXPECT_EQ(full.value().song_paths,
            (std::vector<std::string>{"https://cdn.example/a.mp3", "https://cdn.example/b.mp3"}));
  EXPECT_FALSE(full.value().error_message);
  EXPECT_EQ(full.value().lyrics, "la la");
  EXPECT_EQ(full.value().tags, std::vector<std::string>{"pop"});

  auto sparse = wire::parse_result(R"({"status":"FAILURE","song_paths":null,"lyrics":null,"tags":null,
    "error_message":"model overloaded"})");
  ASSERT_TRUE(sparse);
  EXPECT_TRUE(sparse.value().id.empty());
  EXPECT_TRUE(sparse.value().song_paths.empty());
  EXPECT_FALSE(sparse.value().lyrics);
  EXPECT_EQ(sparse.value().error_message, "model overloaded");

  EXPECT_FALSE(wire::parse_result("[1,2]"));
  EXPECT_FALSE(wire::parse_result("{"));
}

TEST(wire, error_detail_reads_fastapi_bodies) {
  const std::string key = "sksonauto_abc";
  EXPECT_EQ(wire::error_detail(401, R"({"detail":"Invalid API key format"})", key), "Invalid API key format");
  EXPECT_EQ(wire::error_detail(422, R"({"detail":[{"loc":["body","tags"],"msg":"Invalid tags: foo","type":"x"},
    {"loc":["body"],"msg":"prompt, tags or lyrics required","type":"y"}]})", key),
            "Invalid tags: foo; prompt, tags or lyrics required");
  EXPECT_EQ(wire::error_detail(429, R"({"message":"slow down"})", key), "slow down");
  EXPECT_EQ(wire::error_detail(500, "  Internal Server Error\r\n", key), "Internal Server Error");
  EXPECT_EQ(wire::error_detail(502, "", key), "HTTP 502");
  EXPECT_EQ(wire::error_detail(503, R"({"detail":null})", key), "{\"detail\":null}");
}

TEST(wire, error_detail_caps_text_bodies_on_one_line) {
  std::string html = "<html>\n<body>" + std::string(1000, 'x') + "</body></html>";
  auto text = wire::error_detail(502, html, "k");
  EXPECT_LE(text.size(), 200u);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.rfind("<html> <body>xxx", 0), 0u);
}

TEST(wire, error_detail_never_leaves_a_piece_of_the_key) {
  const std::string key = "sksonauto_0123456789abcdef0123456789abcdef";
  // The key straddles the 200-character cut: cutting before scrubbing would leave its first half.
  std::string body = std::string(180, 'y') + key + " trailing";
  auto text = wire::error_detail(500, body, key);
  EXPECT_EQ(text.find("sksonauto_"), std::string::npos) << text;
  // JSON \u escapes of the key are decoded before the scrub, so they are caught too.
  auto escaped =
      wire::error_detail(401, R"({"detail":"bad key \u0073ksonauto_0123456789abcdef0123456789abcdef"})", key);
  EXPECT_EQ(escaped, "bad key [redacted]");
}

TEST(wire, redact_replaces_every_occurrence) {
  EXPECT_EQ(wire::redact("a KEY b KEY", "KEY"), "a [redacted] b [redacted]");
  EXPECT_EQ(wire::redact("nothing", ""), "nothing");
  EXPECT_EQ(wire::redact("redacted", "redacted"), "[redacted]");
}

TEST(wire, one_line_cuts_on_a_utf8_boundary) {
  std::string text = std::string(8, 'a') + "é";  // "é" is two bytes: 8 + 2 = 10 bytes
  auto cut = wire::one_line(text, 9);
  EXPECT_LE(cut.size(), 9u);
  EXPECT_EQ(cut, std::string(6, 'a') + "…");
  EXPECT_EQ(wire::one_line(" a\tb ", 10), "a b");
}

TEST(wire, describe_names_stage_and_status) {
  EXPECT_EQ((failure{failure_kind::timeout, "read_header", 0, "timeout after 30s"}.describe()),
            "read_header: timeout after 30s");
  EXPECT_EQ((failure{failure_kind::http_status, "read_header", 401, "Invalid API key format"}.describe()),
            "read_header: HTTP 401: Invalid API key format");
  EXPECT_EQ((failure{failure_kind::http_status, "read_header", 502, "HTTP 502"}.describe()), "read_header: HTTP 502");
  EXPECT_EQ(to_string(failure_kind::cancelled), "cancelled");
}

TEST(wire, outcome_holds_one_or_the_other) {
  outcome<int> good = 7;
  EXPECT_TRUE(good.ok());
  EXPECT_EQ(good.value(), 7);
  EXPECT_THROW(good.error(), std::logic_error);
  outcome<int> bad = failure{failure_kind::connect, "connect", 0, "refused"};
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().detail, "refused");
  EXPECT_THROW(bad.value(), std::logic_error);
  EXPECT_FALSE(outcome<int>{});
}

}  // namespace
}  // namespace serenade::sonauto
