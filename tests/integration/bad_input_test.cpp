// Bad input gets the right status and a JSON detail, never crashes the server, and writes nothing.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sqlite3.h>

#include <future>

namespace serenade::testing {
namespace {

namespace json = boost::json;

std::string detail_of(const http_reply& r) { return std::string(r.json().at("detail").as_string()); }

long long submission_rows(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM submissions", -1, &stmt, nullptr);
  long long rows = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) rows = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

class bad_input : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shared = new stack({}, {"--header-timeout", "1"}); }
  static void TearDownTestSuite() {
    // Whatever came before, nothing reached Sonauto or the database, and the server is still up.
    EXPECT_EQ(shared->sim("GET", "/_sim/stats").json().at("creates").as_int64(), 0);
    EXPECT_EQ(submission_rows(shared->dir() + "/serenade.db"), 0);
    EXPECT_EQ(shared->api("GET", "/healthz").status, 200u);
    delete shared;
  }
  http_reply post(const std::string& body, const header_pairs& headers = {}) {
    return shared->api("POST", "/api/submissions", body, headers);
  }
  static stack* shared;
};
stack* bad_input::shared = nullptr;

TEST_F(bad_input, malformed_json_is_400) {
  auto r = post(R"({"sender": "Ana", )");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(detail_of(r), "Request body must be a JSON object");
}

TEST_F(bad_input, json_that_is_not_an_object_is_400) {
  for (const std::string body : {"[1,2]", "\"text\"", "42", "null", ""}) {
    auto r = post(body);
    EXPECT_EQ(r.status, 400u) << body;
    EXPECT_FALSE(detail_of(r).empty());
  }
}

TEST_F(bad_input, invalid_utf8_is_400) {
  auto r = post(form_json("Ana", "Ben", "placeholder story long enough", "pop").replace(10, 3, "\xC3\x28\xFF"));
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(detail_of(r), "Request body is not valid UTF-8");
}

TEST_F(bad_input, missing_fields_are_422_with_a_message_per_field) {
  auto r = post(R"({"sender":"  ","story":"short"})");
  EXPECT_EQ(r.status, 422u);
  const auto errors = r.json().at("errors").as_object();
  EXPECT_TRUE(errors.contains("sender"));
  EXPECT_TRUE(errors.contains("recipient"));
  EXPECT_TRUE(errors.contains("story"));
  EXPECT_TRUE(errors.contains("style"));
  EXPECT_EQ(detail_of(r), "Please check the highlighted fields.");
}

TEST_F(bad_input, oversized_fields_are_422) {
  auto r = post(form_json("Ana", std::string(81, 'b'), story_with("long"), "pop"));
  EXPECT_EQ(r.status, 422u);
  EXPECT_TRUE(r.json().at("errors").as_object().contains("recipient"));
  auto story = post(form_json("Ana", "Ben", std::string(2001, 's'), "pop"));
  EXPECT_EQ(story.status, 422u);
  EXPECT_TRUE(story.json().at("errors").as_object().contains("story"));
}

TEST_F(bad_input, wrong_types_are_422) {
  auto r = post(R"({"sender":1,"recipient":["Ben"],"story":{"a":1},"style":true})");
  EXPECT_EQ(r.status, 422u);
  EXPECT_EQ(r.json().at("errors").as_object().size(), 4u);
}

TEST_F(bad_input, wrong_content_type_is_415) {
  auto r = post(form_json("Ana", "Ben", story_with("ct"), "pop"), {{"Content-Type", "text/plain"}});
  EXPECT_EQ(r.status, 415u);
  EXPECT_FALSE(detail_of(r).empty());
}

TEST_F(bad_input, unknown_route_is_404_json) {
  for (const std::string target : {"/api/nothing", "/api/submissions", "/nope.html", "/api/stream/"}) {
    auto r = shared->api("GET", target);
    EXPECT_EQ(r.status, target == "/api/submissions" ? 405u : 404u) << target;
    EXPECT_EQ(r.header("content-type"), "application/json") << target;
  }
}

TEST_F(bad_input, wrong_method_is_405_with_allow) {
  auto r = shared->api("DELETE", "/api/submissions");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.header("allow"), "POST");
  EXPECT_EQ(detail_of(r), "Method not allowed");
  auto put = shared->api("PUT", "/api/stream/AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(put.status, 405u);
  EXPECT_EQ(put.header("allow"), "GET, HEAD");
  EXPECT_EQ(shared->api("POST", "/healthz", "{}").status, 405u);
}

TEST_F(bad_input, oversized_header_is_431) {
  auto r = shared->api("GET", "/healthz", {}, {{"X-Padding", std::string(20 * 1024, 'x')}});
  EXPECT_EQ(r.status, 431u);
  EXPECT_FALSE(detail_of(r).empty());
}

TEST_F(bad_input, oversized_body_is_413) {
  auto r = post(form_json("Ana", "Ben", std::string(100 * 1024, 's'), "pop"));
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(detail_of(r), "Request body is too large");
}

TEST_F(bad_input, garbage_request_line_is_400) {
  auto answer = raw_exchange(shared->api_port(), "HELLO THERE\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  EXPECT_NE(answer.find(R"({"detail":"Malformed HTTP request"})"), std::string::npos) << answer;
}

// A body whose length two HTTP implementations could read differently (request smuggling): one 400, then the
// connection is closed, so the bytes after the header are never read as a request of their own.
TEST_F(bad_input, ambiguous_transfer_encoding_is_400_and_the_body_never_runs_as_a_request) {
  const std::string smuggled = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string heads[] = {
      "Transfer-Encoding: chunked, gzip\r\n",
      "Transfer-Encoding: gzip\r\nContent-Length: " + std::to_string(smuggled.size()) + "\r\n",
      "Transfer-Encoding: chunked\r\nContent-Length: " + std::to_string(smuggled.size()) + "\r\n",
  };
  for (const auto& head : heads) {
    const auto answer = raw_exchange_until_closed(
        shared->api_port(), "POST /api/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
                                head + "\r\n" + smuggled);
    ASSERT_TRUE(answer) << "the connection stayed open after: " << head;
    EXPECT_TRUE(answer->starts_with("HTTP/1.1 400")) << *answer;
    EXPECT_NE(answer->find("Connection: close"), std::string::npos) << *answer;
    EXPECT_EQ(answer->find("HTTP/1.1", 1), std::string::npos) << "a second answer followed: " << *answer;
    EXPECT_EQ(answer->find("serenade_"), std::string::npos) << *answer;
  }
}

// A timed-out request is closed without an answer (the stream's timer has already closed the socket),
// as nginx does for a slow header.
TEST_F(bad_input, a_client_that_goes_silent_mid_request_is_closed_and_does_not_hurt_others) {
  auto half = std::async(std::launch::async, [&] {
    return raw_exchange_until_closed(shared->api_port(),
                                     "POST /api/submissions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
  });
  EXPECT_EQ(shared->api("GET", "/healthz").status, 200u);
  EXPECT_EQ(half.get(), std::optional<std::string>("")) << "not closed by the server";
}

TEST_F(bad_input, a_silent_connection_is_closed_after_the_header_timeout) {
  EXPECT_EQ(raw_exchange_until_closed(shared->api_port(), ""), std::optional<std::string>("")) << "not closed by the server";
}

}  // namespace
}  // namespace serenade::testing
