#include "api/events_route.hpp"

#include "core/ids.hpp"
#include "http/testing/fake_exchange.hpp"
#include "lifecycle/status_events.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using serenade::http::testing::fake_exchange;
namespace api = serenade::api;
namespace http = serenade::http;
namespace lifecycle = serenade::lifecycle;
namespace store = serenade::store;

namespace {

std::string event(std::uint64_t id, std::string_view json) {
  return "id: " + std::to_string(id) + "\nevent: state\ndata: " + std::string(json) + "\n\n";
}

// The io_context is driven by hand (poll): each step runs exactly what is ready.
struct events_route : ::testing::Test {
  asio::io_context io;
  lifecycle::status_events bus;
  std::string session_id = serenade::ids::random_token();
  std::optional<store::submission> stored = [this] {
    store::submission s;
    s.session_id = session_id;
    s.status = "PROCESSING";
    return s;
  }();
  api::event_route_context ctx{
      bus,
      [this](const std::string&) -> asio::awaitable<std::optional<store::submission>> { co_return stored; },
      [](const store::submission& s) { return R"({"status":")" + s.status + R"("})"; },
      std::chrono::hours(1)};
  std::unique_ptr<fake_exchange> ex;
  bool served = false;
  std::exception_ptr failure;

  void serve(http::header_list headers = {}) {
    ex = std::make_unique<fake_exchange>(fake_exchange::get("/api/submissions/" + session_id + "/events", headers));
    http::route_params params;
    params.values.emplace_back("session_id", session_id);
    asio::co_spawn(io, api::serve_events(ctx, *ex, params), [this](std::exception_ptr e) {
      served = true;
      failure = e;
    });
    io.poll();
  }
};

TEST_F(events_route, sends_the_stored_state_then_each_event_in_order_until_the_finishing_one) {
  serve();
  EXPECT_EQ(ex->record.status, 200u);
  EXPECT_EQ(ex->record.header("Content-Type"), "text/event-stream");
  EXPECT_EQ(ex->record.body, "retry: 3000\n\n" + event(0, R"({"status":"PROCESSING"})"));
  bus.publish(session_id, R"({"phase":"streaming"})");
  io.poll();
  bus.publish(session_id, R"({"phase":"almost"})");
  bus.publish(session_id, R"({"phase":"complete"})", true);
  io.poll();
  EXPECT_TRUE(served);
  EXPECT_FALSE(failure);
  EXPECT_EQ(ex->record.chunks.size(), 3u);
  EXPECT_EQ(ex->record.chunks[1], event(1, R"({"phase":"streaming"})"));
  EXPECT_EQ(ex->record.chunks[2], event(2, R"({"phase":"almost"})") + event(3, R"({"phase":"complete"})"));
  EXPECT_TRUE(ex->record.finished);
  EXPECT_FALSE(ex->record.aborted);
}

TEST_F(events_route, resumes_after_last_event_id) {
  bus.publish(session_id, "one");
  bus.publish(session_id, "two");
  bus.publish(session_id, "three");
  serve({{"Last-Event-ID", "1"}});
  EXPECT_EQ(ex->record.body, "retry: 3000\n\n" + event(2, "two") + event(3, "three"));
  EXPECT_FALSE(served);
  bus.publish(session_id, "four", true);
  io.poll();
  EXPECT_TRUE(served);
  EXPECT_EQ(ex->record.chunks.back(), event(4, "four"));
  EXPECT_TRUE(ex->record.finished);
}

TEST_F(events_route, a_client_holding_the_finishing_event_gets_204) {
  bus.publish(session_id, "done", true);
  serve({{"Last-Event-ID", "1"}});
  EXPECT_TRUE(served);
  EXPECT_EQ(ex->record.status, 204u);
  EXPECT_FALSE(ex->record.chunked);
}

TEST_F(events_route, a_finished_stored_state_ends_the_stream_at_once) {
  stored->status = "SUCCESS";
  serve();
  EXPECT_TRUE(served);
  EXPECT_EQ(ex->record.body, "retry: 3000\n\n" + event(0, R"({"status":"SUCCESS"})"));
  EXPECT_TRUE(ex->record.finished);
}

TEST_F(events_route, an_unknown_session_is_404) {
  stored.reset();
  serve();
  EXPECT_TRUE(served);
  EXPECT_EQ(ex->record.status, 404u);
}

TEST_F(events_route, a_quiet_stream_gets_a_heartbeat_and_events_still_follow) {
  ctx.heartbeat = 1ms;  // the one real wait here; asserted by order, never by duration
  serve();
  while (ex->record.chunks.size() < 2) io.run_one();
  EXPECT_EQ(ex->record.chunks[1], ": heartbeat\n\n");
  bus.publish(session_id, "late", true);
  while (!served) io.run_one();
  EXPECT_EQ(ex->record.chunks.back(), event(1, "late"));
  EXPECT_TRUE(ex->record.finished);
}

TEST_F(events_route, a_client_who_leaves_ends_the_stream_and_its_connection) {
  serve();
  EXPECT_TRUE(ex->watching_peer());
  ex->peer_leaves();
  io.poll();
  EXPECT_TRUE(served);
  EXPECT_FALSE(failure);
  EXPECT_TRUE(ex->record.aborted);
  EXPECT_FALSE(ex->record.finished);
}

}  // namespace
