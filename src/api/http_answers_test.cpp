#include "api/http_answers.hpp"

#include "lifecycle/submission_form.hpp"
#include "lifecycle/submission_result.hpp"
#include "live/listener.hpp"
#include "store/submission_store.hpp"

#include <gtest/gtest.h>

#include <string>

namespace serenade::api {
namespace {

using namespace std::chrono_literals;
using lifecycle::refusal_reason;
using lifecycle::submission_refusal;
using live::start_refusal;

std::string detail_json(const std::string& sentence) { return R"({"detail":")" + sentence + R"("})"; }

struct expected {
  unsigned status;
  std::string detail;
  std::optional<std::string> retry_after;
};

void expect_answer(const http::response& r, const expected& e) {
  EXPECT_EQ(r.status, e.status);
  EXPECT_EQ(r.body, detail_json(e.detail));
  std::optional<std::string> retry_after;
  for (const auto& [name, value] : r.headers) {
    if (name == "Retry-After") retry_after = value;
  }
  EXPECT_EQ(retry_after, e.retry_after);
}

TEST(http_answers, each_submission_refusal_has_its_status_and_sentence) {
  const std::pair<submission_refusal, expected> table[] = {
      {{refusal_reason::not_found}, {404, "Session not found", {}}},
      {{refusal_reason::not_failed}, {409, "Only a song that could not be finished can be tried again.", {}}},
      {{refusal_reason::already_retried}, {409, "This song is being tried again already.", {}}},
      {{refusal_reason::client_rate_limited, 690s},
       {429, "You have written several songs in a short time. Please wait 12 minutes before the next one.", "690"}},
      {{refusal_reason::too_many_generating, 30s},
       {429, "Many songs are being written right now. Please try again in a minute.", "30"}},
      {{refusal_reason::daily_budget_spent, 5h},
       {429, "Serenade has written all the songs it can today. Please come back in 5 hours.", "18000"}},
      {{refusal_reason::upstream_refused},
       {422, "The song service could not accept this story. Please change the story or the style and try again.", {}}},
      {{refusal_reason::upstream_misconfigured}, {503, "The song service is misconfigured. Please try again later.", {}}},
      {{refusal_reason::upstream_out_of_credits},
       {503, "The song service is out of credits. Please try again later.", {}}},
      {{refusal_reason::upstream_busy}, {503, "The song service is busy. Please try again in a minute.", {}}},
      {{refusal_reason::upstream_timeout}, {504, "The song service took too long to answer. Please try again.", {}}},
      {{refusal_reason::upstream_unavailable},
       {503, "The song service cannot be reached right now. Please try again shortly.", {}}},
  };
  for (const auto& [refusal, want] : table) {
    SCOPED_TRACE(want.detail);
    expect_answer(answer_for(refusal), want);
  }
}

TEST(http_answers, each_stream_refusal_has_its_status_and_sentence) {
  expect_answer(answer_for(start_refusal{start_refusal::reason::archive_unavailable}),
                {503, "This song cannot be played right now. Please try again in a minute.", "30"});
  expect_answer(answer_for(start_refusal{start_refusal::reason::start_timeout}),
                {504, "The music service did not start the stream in time", {}});
  expect_answer(answer_for(start_refusal{start_refusal::reason::upstream_refused}),
                {502, "The music service's stream could not be opened. Please try again in a minute.", {}});
}

TEST(http_answers, an_invalid_form_names_its_fields) {
  lifecycle::parse_result unusable;
  unusable.detail = "Send the form as a JSON object.";
  expect_answer(answer_for(unusable), {400, "Send the form as a JSON object.", {}});

  lifecycle::parse_result fields;
  fields.detail = "Please check the highlighted fields.";
  fields.errors = {{"story", "Tell a little more."}};
  const auto r = answer_for(fields);
  EXPECT_EQ(r.status, 422u);
  EXPECT_EQ(r.body, R"({"detail":"Please check the highlighted fields.","errors":{"story":"Tell a little more."}})");
}

TEST(http_answers, wait_phrase_rounds_up_to_minutes_or_hours) {
  EXPECT_EQ(wait_phrase(1s), "a minute");
  EXPECT_EQ(wait_phrase(60s), "a minute");
  EXPECT_EQ(wait_phrase(61s), "2 minutes");
  EXPECT_EQ(wait_phrase(12min), "12 minutes");
  EXPECT_EQ(wait_phrase(119min), "119 minutes");
  EXPECT_EQ(wait_phrase(120min), "2 hours");
  EXPECT_EQ(wait_phrase(7h + 1s), "8 hours");
}

TEST(http_answers, a_database_out_of_reach_is_503_with_retry_after_and_anything_else_is_left_to_500) {
  const auto away = answer_for_failure(std::make_exception_ptr(store::store_unavailable("cannot connect")));
  ASSERT_TRUE(away);
  expect_answer(*away, {503, "Serenade cannot reach its database for a moment. Please try again shortly.", "5"});
  EXPECT_EQ(away->body.find("cannot connect"), std::string::npos) << "the database's words reached the client";
  EXPECT_FALSE(answer_for_failure(std::make_exception_ptr(store::store_error("CHECK constraint failed"))));
  EXPECT_FALSE(answer_for_failure(std::make_exception_ptr(std::runtime_error("bug"))));
}

}  // namespace
}  // namespace serenade::api
