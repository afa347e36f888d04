#include "live/listener.hpp"

#include "http/testing/fake_exchange.hpp"
#include "live/hub.hpp"
#include "sonauto/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <filesystem>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using serenade::http::testing::fake_exchange;
using namespace serenade::live;
namespace sonauto = serenade::sonauto;

namespace {

sonauto::client_options unreachable_upstream() {
  sonauto::client_options o;
  o.api_key = "test";
  o.api_base = "http://127.0.0.1:9/v1";
  o.stream_base = "http://127.0.0.1:9";
  return o;
}

// The io_context is driven by hand (poll): every step below runs exactly what is ready, no time passes.
struct listener : ::testing::Test {
  std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() /
             ("serenade-listener-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
  }();
  asio::io_context io;
  sonauto::client client{unreachable_upstream()};
  hub_options options = [this] {
    hub_options o;
    o.capture_dir = dir.string();
    o.archive_dir = dir.string();
    o.wake.min_bytes = 1;  // every append is shown at once, unless a test says otherwise
    return o;
  }();
  hub_counters counters;
  std::shared_ptr<hub> song = std::make_shared<hub>(io.get_executor(), "session1", "task1", client, options, counters);
  fake_exchange ex{fake_exchange::get("/api/stream/session1")};
  bool served = false;
  std::exception_ptr failure;
  std::optional<start_refusal> refused;

  void SetUp() override { song->open_for_test(); }
  void TearDown() override { std::filesystem::remove_all(dir); }

  void use_wake_limits(wake_limits limits) {
    options.wake = limits;
    song = std::make_shared<hub>(io.get_executor(), "session2", "task2", client, options, counters);
    song->open_for_test();
  }

  void serve(std::chrono::seconds start_timeout = 30s) {
    asio::co_spawn(io, serve_listener(ex, song, counters, start_timeout),
                   [this](std::exception_ptr e, std::optional<start_refusal> refusal) {
                     served = true;
                     failure = e;
                     refused = std::move(refusal);
                   });
    io.poll();
  }
};

TEST_F(listener, relays_bytes_in_order_across_growth_and_ends_with_the_final_chunk) {
  song->append_for_test("abc");
  serve();
  EXPECT_EQ(ex.record.status, 200u);
  EXPECT_EQ(ex.record.header("Content-Type"), "audio/mpeg");
  EXPECT_EQ(ex.record.body, "abc");
  EXPECT_EQ(counters.listeners_live, 1u);
  song->append_for_test("de");
  io.poll();
  song->append_for_test("f");
  io.poll();
  EXPECT_EQ(ex.record.chunks, (std::vector<std::string>{"abc", "de", "f"}));
  EXPECT_FALSE(served);
  song->end_for_test(hub_state::complete);
  io.poll();
  EXPECT_TRUE(served);
  EXPECT_FALSE(failure);
  EXPECT_TRUE(ex.record.finished);
  EXPECT_FALSE(ex.record.aborted);
  EXPECT_FALSE(ex.watching_peer());
  EXPECT_EQ(counters.listeners_live, 0u);
  EXPECT_EQ(counters.bytes_relayed, 6u);
}

TEST_F(listener, a_restarted_capture_cuts_the_listener) {
  song->append_for_test("old song");
  serve();
  song->restart_for_test();
  song->append_for_test("new song");
  io.poll();
  EXPECT_TRUE(served);
  EXPECT_TRUE(ex.record.aborted);
  EXPECT_FALSE(ex.record.finished);
  EXPECT_EQ(ex.record.body, "old song");
}

TEST_F(listener, an_abandoned_capture_ends_without_the_final_chunk_after_what_was_captured) {
  song->append_for_test("ab");
  serve();
  song->append_for_test("c");
  song->end_for_test(hub_state::abandoned);
  io.poll();
  EXPECT_TRUE(served);
  EXPECT_EQ(ex.record.body, "abc");
  EXPECT_TRUE(ex.record.aborted);
  EXPECT_FALSE(ex.record.finished);
}

TEST_F(listener, a_listener_who_leaves_while_waiting_is_released_at_once) {
  song->append_for_test("abc");
  serve();
  EXPECT_TRUE(ex.watching_peer());
  ex.peer_leaves();
  io.poll();
  EXPECT_TRUE(served);
  EXPECT_FALSE(failure);
  EXPECT_FALSE(ex.record.finished);
  EXPECT_EQ(counters.listeners_live, 0u);
}

TEST_F(listener, a_stalled_listener_is_closed_and_counted) {
  song->append_for_test("abc");
  serve();
  ex.stall_writes();
  song->append_for_test("def");
  io.poll();
  EXPECT_TRUE(served);
  EXPECT_TRUE(ex.record.aborted);
  EXPECT_EQ(counters.stalled_listeners_closed, 1u);
}

TEST_F(listener, head_sends_only_the_chunked_header) {
  fake_exchange head([] {
    auto req = fake_exchange::get("/api/stream/session1");
    req.method = "HEAD";
    return req;
  }());
  asio::co_spawn(io, serve_listener(head, song, counters, 30s), [this](std::exception_ptr, std::optional<start_refusal>) { served = true; });
  io.poll();
  EXPECT_TRUE(served);
  EXPECT_EQ(head.record.status, 200u);
  EXPECT_TRUE(head.record.chunked);
  EXPECT_EQ(head.record.body, "");
  EXPECT_EQ(counters.listeners_live, 0u);
}

TEST_F(listener, the_first_byte_is_awaited_before_the_status_line) {
  serve();
  EXPECT_EQ(ex.record.status, 0u);
  song->append_for_test("a");
  io.poll();
  EXPECT_EQ(ex.record.status, 200u);
  EXPECT_EQ(ex.record.body, "a");
}

TEST_F(listener, a_capture_abandoned_before_any_byte_is_refused) {
  serve();
  song->end_for_test(hub_state::abandoned);
  io.poll();
  EXPECT_TRUE(served);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->why, start_refusal::reason::upstream_refused);
  EXPECT_EQ(ex.record.status, 0u);  // nothing answered: api answers refusals
}

TEST_F(listener, no_byte_within_the_start_timeout_is_refused_as_a_timeout) {
  serve(0s);  // the deadline has passed when the wait begins
  io.run();
  EXPECT_TRUE(served);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->why, start_refusal::reason::start_timeout);
  EXPECT_EQ(ex.record.status, 0u);
}

}  // namespace

TEST_F(listener, at_the_edge_each_step_goes_from_memory_as_one_chunk) {
  use_wake_limits({.min_bytes = 4, .max_delay = 1h});
  song->append_for_test("abcd");
  serve();
  song->append_for_test("ef");
  io.poll();
  EXPECT_EQ(ex.record.body, "abcd");  // two new bytes are not a step yet
  song->append_for_test("gh");
  io.poll();
  song->append_for_test("i");
  song->end_for_test(hub_state::complete);  // the end shows what is pending
  io.poll();
  EXPECT_TRUE(served);
  EXPECT_EQ(ex.record.chunks, (std::vector<std::string>{"abcd", "efgh", "i"}));
  EXPECT_EQ(ex.record.file_chunks, 0u);
  EXPECT_TRUE(ex.record.finished);
}

TEST_F(listener, behind_the_edge_reads_the_file_then_joins_the_edge) {
  use_wake_limits({.min_bytes = 4, .max_delay = 1h});
  song->append_for_test("abcd");
  song->append_for_test("efgh");
  serve();
  EXPECT_EQ(ex.record.chunks, (std::vector<std::string>{"abcdefgh"}));
  EXPECT_EQ(ex.record.file_chunks, 1u);
  song->append_for_test("ijkl");
  io.poll();
  EXPECT_EQ(ex.record.chunks, (std::vector<std::string>{"abcdefgh", "ijkl"}));
  EXPECT_EQ(ex.record.file_chunks, 1u);
}

TEST_F(listener, a_few_new_bytes_reach_the_listener_when_the_wake_delay_ends) {
  // The delay runs on the real clock from the append; it must outlast serve()'s first poll, which takes more
  // than a millisecond under AddressSanitizer on a busy machine. The loops below wait for it twice.
  use_wake_limits({.min_bytes = 100, .max_delay = 200ms});
  song->append_for_test("x");
  serve();
  EXPECT_EQ(ex.record.status, 0u);  // nothing shown yet: the answer waits for the first byte
  while (ex.record.body.empty() && io.run_one() > 0) {
  }
  EXPECT_EQ(ex.record.status, 200u);
  EXPECT_EQ(ex.record.body, "x");
  song->append_for_test("y");
  song->append_for_test("z");
  while (ex.record.body.size() < 3 && io.run_one() > 0) {
  }
  EXPECT_EQ(ex.record.chunks, (std::vector<std::string>{"x", "yz"}));
}

TEST_F(listener, a_restart_drops_the_old_epochs_edge) {
  use_wake_limits({.min_bytes = 1, .max_delay = 1h});
  song->append_for_test("old");
  ASSERT_TRUE(song->edge());
  song->restart_for_test();
  EXPECT_FALSE(song->edge());
  song->append_for_test("new");
  ASSERT_TRUE(song->edge());
  EXPECT_EQ(song->edge()->epoch, 1u);
  EXPECT_EQ(song->edge()->bytes, "new");
  EXPECT_EQ(song->size(), 3u);
}
