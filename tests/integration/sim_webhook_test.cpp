// The simulator's webhooks and create refusals, observed as a Sonauto client sees them: tasks are created
// directly at the simulator with a webhook_url pointing at a tiny receiver run by the test itself.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace serenade::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

// With the harness defaults (6 s song, speed 4, ready after 0.6 s, finish delay 0.6 s) a task walks its early
// states 90-120 ms apart, is streaming-ready at 0.6 s, DECOMPRESSING at 1.85 s, SAVING at 2.15 s, SUCCESS at 2.45 s.
const std::vector<std::string> all_statuses{"RECEIVED",   "PROMPT",   "TASK_SENT", "GENERATE_TASK_STARTED",
                                            "BEGINNING_GENERATION", "GENERATING", "GENERATING_STREAMING_READY",
                                            "DECOMPRESSING", "SAVING", "SUCCESS"};

std::size_t position_of(const std::string& status) {
  return static_cast<std::size_t>(std::find(all_statuses.begin(), all_statuses.end(), status) - all_statuses.begin());
}

// A webhook receiver: a synchronous Beast server on 127.0.0.1 (any free port), on its own thread, that answers
// 200 to everything and records each request. Given the simulator's port, it also records the task's status as
// the simulator reports it once the body has fully arrived: a status the task had reached by then.
class webhook_receiver {
 public:
  struct hook {
    std::string status_on_arrival;
    std::string method;
    std::string target;
    std::string content_type;
    std::string body;
    // The task_id at the top of the body: empty for a payload shape that puts none there.
    std::string task() const {
      const auto parsed = json::parse(body);
      const auto* id = parsed.is_object() ? parsed.as_object().if_contains("task_id") : nullptr;
      return id && id->is_string() ? std::string(id->as_string()) : std::string();
    }
    std::string status() const { return std::string(json::parse(body).at("status").as_string()); }
  };

  webhook_receiver() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { run(); });
  }

  ~webhook_receiver() {
    stopping_ = true;
    // Unblock the accept with one last connection.
    try {
      asio::io_context io;
      tcp::socket poke(io);
      poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    } catch (const std::exception&) {
    }
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  void ask_status_from(std::uint16_t sim_port) { sim_port_ = sim_port; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  // A URL of its own, for bodies that do not name their task.
  std::string url_for(const std::string& name) const { return url() + "/" + name; }

  // The hooks posted to url_for(name), in arrival order.
  std::vector<hook> posted_to(const std::string& name) const {
    std::lock_guard lock(mutex_);
    std::vector<hook> out;
    for (const auto& h : hooks_) {
      if (h.target == "/hook/" + name) out.push_back(h);
    }
    return out;
  }

  // The hooks of one task, in arrival order.
  std::vector<hook> of(const std::string& task) const {
    std::lock_guard lock(mutex_);
    std::vector<hook> out;
    for (const auto& h : hooks_) {
      if (h.task() == task) out.push_back(h);
    }
    return out;
  }

  // Waits until the task has at least `count` hooks; returns them.
  std::vector<hook> wait_for(const std::string& task, std::size_t count) const {
    std::vector<hook> got;
    wait_until([&] { return (got = of(task)).size() >= count; },
               [&] { return task + " had " + std::to_string(got.size()) + " webhooks, not " + std::to_string(count); });
    return got;
  }

 private:
  void run() {
    while (!stopping_) {
      tcp::socket socket(io_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) continue;
      serve(socket);
    }
  }

  void serve(tcp::socket& socket) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      beast::error_code ec;
      bhttp::read(socket, buffer, req, ec);
      if (ec) return;
      hook h;
      h.method = std::string(req.method_string());
      h.target = std::string(req.target());
      h.content_type = std::string(req[bhttp::field::content_type]);
      h.body = req.body();
      if (sim_port_ != 0) {
        auto state = request(sim_port_, "GET", "/_sim/tasks/" + h.task(), {{"Content-Type", "application/json"}});
        if (state.status == 200) h.status_on_arrival = std::string(state.json().at("status").as_string());
      }
      {
        std::lock_guard lock(mutex_);
        hooks_.push_back(std::move(h));
      }
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
      res.set(bhttp::field::content_type, "application/json");
      res.body() = "{}";
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      bhttp::write(socket, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<std::uint16_t> sim_port_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<hook> hooks_;
};

header_pairs auth() {
  return {{"Authorization", std::string("Bearer ") + test_api_key}, {"Content-Type", "application/json"}};
}

std::string create_body(const std::string& prompt, const std::string& webhook_url) {
  json::object body{{"prompt", prompt}, {"enable_streaming", true}, {"stream_format", "mp3"}, {"output_format", "mp3"}};
  if (!webhook_url.empty()) body["webhook_url"] = webhook_url;
  return json::serialize(body);
}

http_reply post_create(stack& s, const std::string& prompt, const std::string& webhook_url = {}) {
  return request(s.sim_port(), "POST", "/v1/generations/v3", auth(), create_body(prompt, webhook_url));
}

std::string create_task(stack& s, const std::string& prompt, const std::string& webhook_url) {
  auto reply = post_create(s, prompt, webhook_url);
  if (reply.status != 200) throw std::runtime_error("create failed: " + std::to_string(reply.status) + " " + reply.body);
  return std::string(reply.json().at("task_id").as_string());
}

json::object report(stack& s, const std::string& task) { return s.sim("GET", "/_sim/tasks/" + task).json().as_object(); }

json::object stats(stack& s) { return s.sim("GET", "/_sim/stats").json().as_object(); }

http_reply control(stack& s, json::object fields) { return s.sim("POST", "/_sim/control", json::serialize(fields)); }

std::string status_of(stack& s, const std::string& task) { return std::string(report(s, task).at("status").as_string()); }

// Waits until the task's status is `last` or FAILURE; returns that status.
std::string wait_for_end(stack& s, const std::string& task, const std::string& last = "SUCCESS") {
  std::string status;
  wait_until([&] { return (status = status_of(s, task)) == last || status == "FAILURE"; },
             [&] { return "task " + task + " never reached " + last + "; it is " + status; });
  return status;
}

int webhooks_sent(stack& s, const std::string& task) { return report(s, task).at("webhooks_sent").to_number<int>(); }

// Waits until the receiver holds `count` hooks of the task, the last of them announcing `last`, and the simulator
// counts as many sent. A task's posts go out one after another and `last` is its final status, so nothing follows.
std::vector<webhook_receiver::hook> wait_for_all(stack& s, const webhook_receiver& receiver, const std::string& task,
                                                 std::size_t count, const std::string& last) {
  std::vector<webhook_receiver::hook> got;
  wait_until(
      [&] {
        got = receiver.of(task);
        return got.size() >= count && got.back().status() == last &&
               webhooks_sent(s, task) == static_cast<int>(got.size());
      },
      [&] { return task + " had " + std::to_string(got.size()) + " webhooks, awaiting " + std::to_string(count); });
  return got;
}

std::vector<std::string> statuses_of(const std::vector<webhook_receiver::hook>& hooks) {
  std::vector<std::string> out;
  for (const auto& h : hooks) out.push_back(h.status());
  return out;
}

sim_settings with_flags(std::vector<std::string> flags) {
  sim_settings settings;
  settings.extra_args = std::move(flags);
  return settings;
}

// ---------------------------------------------------------------------------------------------- webhooks

TEST(sim_webhooks, normal_sends_one_post_per_status_in_order_without_waiting) {
  webhook_receiver receiver;
  stack s;
  receiver.ask_status_from(s.sim_port());
  const auto task = create_task(s, "webhook-normal", receiver.url());
  wait_for_end(s, task);
  const auto hooks = wait_for_all(s, receiver, task, all_statuses.size(), "SUCCESS");
  ASSERT_EQ(statuses_of(hooks), all_statuses);

  // Each post announces a status the task had reached; the streaming-ready one is not held back for the
  // 2 s webhook_delay, which would carry it past SUCCESS (1.85 s later).
  for (const auto& h : hooks) {
    ASSERT_FALSE(h.status_on_arrival.empty());
    EXPECT_GE(position_of(h.status_on_arrival), position_of(h.status())) << h.status();
  }
  EXPECT_NE(hooks[position_of("GENERATING_STREAMING_READY")].status_on_arrival, "SUCCESS");
  for (const auto& h : hooks) {
    EXPECT_EQ(h.method, "POST");
    EXPECT_EQ(h.target, "/hook");
    EXPECT_EQ(h.content_type, "application/json");
    const auto body = json::parse(h.body).as_object();
    EXPECT_EQ(body.size(), 3u) << h.body;
    EXPECT_EQ(body.at("task_id").as_string(), task);
    EXPECT_TRUE(body.at("alignment_status").is_null()) << h.body;
  }
  const auto r = report(s, task);
  EXPECT_EQ(r.at("webhooks_sent").to_number<int>(), 10);
  EXPECT_EQ(r.at("webhooks_failed").to_number<int>(), 0);
  EXPECT_EQ(r.at("webhook_url").as_string(), receiver.url());
  EXPECT_EQ(r.at("faults").at("webhooks").as_string(), "normal") << "normal is the default";
  EXPECT_EQ(r.at("faults").at("webhook_delay").to_number<double>(), 2.0) << "2 s is the default delay";

  // A task created without a webhook_url gets none.
  const auto quiet = create_task(s, "webhook-absent", "");
  wait_for_end(s, quiet);
  EXPECT_TRUE(report(s, quiet).at("webhook_url").is_null());
  EXPECT_EQ(report(s, quiet).at("webhooks_sent").to_number<int>(), 0);
}

// A simulator that falls behind (here: stopped for a second, as a loaded machine would delay it) still owes
// the receiver every status it passed, in order, not just the newest.
TEST(sim_webhooks, a_late_simulator_still_sends_every_status_in_order) {
  webhook_receiver receiver;
  stack s;
  const auto task = create_task(s, "webhook-late", receiver.url());
  ASSERT_EQ(::kill(s.simulator().pid(), SIGSTOP), 0);
  // The pause is the fault itself: the timeline moves past PROMPT ... GENERATING_STREAMING_READY meanwhile.
  // Its length is what the fault is made of, not a wait for anything.
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(::kill(s.simulator().pid(), SIGCONT), 0);
  EXPECT_EQ(statuses_of(wait_for_all(s, receiver, task, all_statuses.size(), "SUCCESS")), all_statuses);
}

TEST(sim_webhooks, failure_is_announced_and_ends_the_webhooks) {
  webhook_receiver receiver;
  stack s;
  const auto task = create_task(s, "webhook-failure", receiver.url());
  ASSERT_EQ(control(s, {{"task_id", task}, {"fail_at", "GENERATING_STREAMING_READY"}}).status, 200u);
  ASSERT_EQ(wait_for_end(s, task, "FAILURE"), "FAILURE");
  const auto hooks = wait_for_all(s, receiver, task, 7, "FAILURE");
  const std::vector<std::string> expected{"RECEIVED",   "PROMPT",  "TASK_SENT", "GENERATE_TASK_STARTED",
                                          "BEGINNING_GENERATION", "GENERATING", "FAILURE"};
  EXPECT_EQ(statuses_of(hooks), expected);
}

TEST(sim_webhooks, duplicated_sends_each_post_twice) {
  webhook_receiver receiver;
  stack s(with_flags({"--webhooks", "duplicated"}));
  const auto task = create_task(s, "webhook-duplicated", receiver.url());
  wait_for_end(s, task);
  const auto hooks = wait_for_all(s, receiver, task, 2 * all_statuses.size(), "SUCCESS");
  std::vector<std::string> expected;
  for (const auto& status : all_statuses) {
    expected.push_back(status);
    expected.push_back(status);
  }
  EXPECT_EQ(statuses_of(hooks), expected);
  ASSERT_EQ(hooks.size(), expected.size());
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    EXPECT_EQ(hooks[i].body, hooks[i ^ 1].body) << "the two copies are identical";
  }
  EXPECT_EQ(report(s, task).at("webhooks_sent").to_number<int>(), 20);
  EXPECT_EQ(report(s, task).at("faults").at("webhooks").as_string(), "duplicated");
}

TEST(sim_webhooks, reordered_swaps_each_pair_and_sends_a_held_last_one_at_the_end) {
  webhook_receiver receiver;
  stack s(with_flags({"--webhooks", "reordered"}));
  const auto even = create_task(s, "webhook-reordered-even", receiver.url());
  const auto odd = create_task(s, "webhook-reordered-odd", receiver.url());
  // Failing at SAVING: nine statuses (RECEIVED .. DECOMPRESSING, FAILURE), so FAILURE is held with no next one.
  ASSERT_EQ(control(s, {{"task_id", odd}, {"fail_at", "SAVING"}}).status, 200u);
  ASSERT_EQ(wait_for_end(s, odd, "FAILURE"), "FAILURE");
  wait_for_end(s, even);
  // The held last post is the one with no change after it: FAILURE for the odd task, SAVING for the even one.
  const auto even_hooks = wait_for_all(s, receiver, even, 10, "SAVING");
  const auto odd_hooks = wait_for_all(s, receiver, odd, 9, "FAILURE");

  const std::vector<std::string> swapped{"PROMPT",     "RECEIVED",      "GENERATE_TASK_STARTED",
                                         "TASK_SENT",  "GENERATING",    "BEGINNING_GENERATION",
                                         "DECOMPRESSING", "GENERATING_STREAMING_READY", "SUCCESS", "SAVING"};
  EXPECT_EQ(statuses_of(even_hooks), swapped);
  const std::vector<std::string> swapped_then_last{"PROMPT",        "RECEIVED",   "GENERATE_TASK_STARTED",
                                                   "TASK_SENT",     "GENERATING", "BEGINNING_GENERATION",
                                                   "DECOMPRESSING", "GENERATING_STREAMING_READY", "FAILURE"};
  EXPECT_EQ(statuses_of(odd_hooks), swapped_then_last);
  EXPECT_EQ(report(s, even).at("webhooks_sent").to_number<int>(), 10);
  EXPECT_EQ(report(s, odd).at("webhooks_sent").to_number<int>(), 9);
}

TEST(sim_webhooks, delayed_sends_each_post_after_the_task_has_moved_on) {
  webhook_receiver receiver;
  stack s(with_flags({"--webhooks", "delayed", "--webhook-delay", "1"}));
  receiver.ask_status_from(s.sim_port());
  const auto task = create_task(s, "webhook-delayed", receiver.url());
  wait_for_end(s, task);
  const auto hooks = wait_for_all(s, receiver, task, all_statuses.size(), "SUCCESS");
  ASSERT_EQ(statuses_of(hooks), all_statuses);
  // A second late, each post but SUCCESS finds the task past the status it announces: the next change comes
  // 90-300 ms later everywhere but GENERATING_STREAMING_READY -> DECOMPRESSING (1.25 s), which it may not reach.
  for (const auto& h : hooks) {
    if (h.status() == "SUCCESS" || h.status() == "GENERATING_STREAMING_READY") continue;
    EXPECT_GT(position_of(h.status_on_arrival), position_of(h.status())) << h.status();
  }
  EXPECT_EQ(report(s, task).at("faults").at("webhook_delay").to_number<double>(), 1.0);
}

TEST(sim_webhooks, none_sends_nothing) {
  webhook_receiver receiver;
  stack s(with_flags({"--webhooks", "none"}));
  const auto task = create_task(s, "webhook-none", receiver.url());
  // A task created later with webhooks switched on: once its SUCCESS post is in, any post of the first task
  // would have come before it.
  const auto marker = create_task(s, "webhook-marker", receiver.url());
  ASSERT_EQ(control(s, {{"task_id", marker}, {"webhooks", "normal"}}).status, 200u);
  wait_for_end(s, task);
  wait_for_end(s, marker);
  receiver.wait_for(marker, 1);
  wait_until([&] { auto got = receiver.of(marker); return !got.empty() && got.back().status() == "SUCCESS"; },
             [] { return std::string("no SUCCESS post for the marker task"); });
  EXPECT_TRUE(receiver.of(task).empty());
  EXPECT_EQ(report(s, task).at("webhooks_sent").to_number<int>(), 0);
  EXPECT_EQ(report(s, task).at("faults").at("webhooks").as_string(), "none");
}

TEST(sim_webhooks, control_switches_the_mode_of_one_task) {
  webhook_receiver receiver;
  stack s(with_flags({"--webhooks", "none"}));
  const auto task = create_task(s, "webhook-switched-on", receiver.url());
  const auto other = create_task(s, "webhook-left-off", receiver.url());
  auto reply = control(s, {{"task_id", task}, {"webhooks", "normal"}});
  ASSERT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.json().at("faults").at("webhooks").as_string(), "normal");
  // Read after the switch: every status that follows it must be announced.
  const std::string status_after_switch(report(s, task).at("status").as_string());
  const auto after_switch = static_cast<std::size_t>(
      all_statuses.end() - std::find(all_statuses.begin(), all_statuses.end(), status_after_switch) - 1);
  wait_for_end(s, task);
  wait_for_end(s, other);
  const auto hooks = receiver.wait_for(task, 1);
  wait_until([&] { auto got = receiver.of(task); return got.back().status() == "SUCCESS" &&
                                                        webhooks_sent(s, task) == static_cast<int>(got.size()); },
             [] { return std::string("no SUCCESS post for the switched task"); });
  // What went by under "none" is not announced; every change after the switch is, once, in order. The
  // other task, created after it, is done too: any post of its would have come before this SUCCESS.
  const auto got = statuses_of(receiver.of(task));
  ASSERT_GE(got.size(), after_switch);
  ASSERT_LE(got.size(), all_statuses.size());
  const std::vector<std::string> tail(all_statuses.end() - static_cast<std::ptrdiff_t>(got.size()), all_statuses.end());
  EXPECT_EQ(got, tail);
  EXPECT_TRUE(receiver.of(other).empty());

  // Bad values answer 400 and change nothing.
  EXPECT_EQ(control(s, {{"task_id", other}, {"webhooks", "sometimes"}}).status, 400u);
  EXPECT_EQ(control(s, {{"task_id", other}, {"webhooks", 1}}).status, 400u);
  EXPECT_EQ(control(s, {{"task_id", other}, {"webhook_delay", -1}}).status, 400u);
  EXPECT_EQ(report(s, other).at("faults").at("webhooks").as_string(), "none");
}

TEST(sim_webhooks, an_unreachable_receiver_is_counted_as_failed) {
  std::uint16_t closed_port = 0;
  {
    webhook_receiver gone;  // bound then closed: nothing listens there any more
    closed_port = gone.port();
  }
  stack s;
  const auto task = create_task(s, "webhook-unreachable", "http://127.0.0.1:" + std::to_string(closed_port) + "/hook");
  wait_for_end(s, task);
  wait_until([&] { return report(s, task).at("webhooks_failed").to_number<int>() >= 10; },
             [&] { return "webhooks_failed is " + json::serialize(report(s, task).at("webhooks_failed")); });
  EXPECT_EQ(report(s, task).at("webhooks_failed").to_number<int>(), 10);
  EXPECT_EQ(report(s, task).at("webhooks_sent").to_number<int>(), 0);
  // A webhook_url that is not a string is a validation error; no task is created.
  auto bad = request(s.sim_port(), "POST", "/v1/generations/v3", auth(),
                     R"({"prompt":"x","enable_streaming":true,"stream_format":"mp3","webhook_url":5})");
  EXPECT_EQ(bad.status, 422u);
  EXPECT_EQ(stats(s).at("creates").to_number<int>(), 1);
}

// ------------------------------------------------------------------------------------------ payload shapes

// Waits until `name`'s URL holds `count` hooks and the simulator counts as many sent for the task.
std::vector<webhook_receiver::hook> wait_for_posted(stack& s, const webhook_receiver& receiver, const std::string& task,
                                                    const std::string& name, std::size_t count) {
  std::vector<webhook_receiver::hook> got;
  wait_until(
      [&] {
        got = receiver.posted_to(name);
        return got.size() >= count && webhooks_sent(s, task) == static_cast<int>(got.size());
      },
      [&] { return name + " had " + std::to_string(got.size()) + " webhooks, awaiting " + std::to_string(count); });
  return got;
}

TEST(sim_webhooks, payload_nested_puts_task_and_status_under_data) {
  webhook_receiver receiver;
  stack s(with_flags({"--webhook-payload", "nested"}));
  const auto task = create_task(s, "payload-nested", receiver.url_for("nested"));
  wait_for_end(s, task);
  const auto hooks = wait_for_posted(s, receiver, task, "nested", all_statuses.size());
  std::vector<std::string> statuses;
  for (const auto& h : hooks) {
    const auto body = json::parse(h.body).as_object();
    EXPECT_FALSE(body.contains("task_id")) << h.body;
    EXPECT_FALSE(body.contains("status")) << h.body;
    EXPECT_EQ(body.at("event"), "status_update") << h.body;
    const auto& data = body.at("data").as_object();
    EXPECT_EQ(data.at("task_id").as_string(), task);
    statuses.emplace_back(data.at("status").as_string());
  }
  EXPECT_EQ(statuses, all_statuses);
  EXPECT_EQ(report(s, task).at("faults").at("webhook_payload"), "nested");
}

TEST(sim_webhooks, payload_no_task_id_sends_only_the_status) {
  webhook_receiver receiver;
  stack s(with_flags({"--webhook-payload", "no-task-id"}));
  const auto task = create_task(s, "payload-anonymous", receiver.url_for("anonymous"));
  wait_for_end(s, task);
  const auto hooks = wait_for_posted(s, receiver, task, "anonymous", all_statuses.size());
  std::vector<std::string> statuses;
  for (const auto& h : hooks) {
    const auto body = json::parse(h.body).as_object();
    EXPECT_EQ(body.size(), 1u) << h.body;
    statuses.emplace_back(body.at("status").as_string());
    EXPECT_EQ(h.body.find(task), std::string::npos) << "nothing names the task: " << h.body;
  }
  EXPECT_EQ(statuses, all_statuses);
}

TEST(sim_webhooks, payload_completion_only_sends_one_post_with_the_result_at_the_end) {
  webhook_receiver receiver;
  stack s(with_flags({"--webhook-payload", "completion-only"}));
  const auto done = create_task(s, "payload-done", receiver.url_for("done"));
  const auto failed = create_task(s, "payload-failed", receiver.url_for("failed"));
  const auto switched = create_task(s, "payload-switched", receiver.url_for("switched"));
  ASSERT_EQ(control(s, {{"task_id", failed}, {"fail_at", "GENERATING_STREAMING_READY"}}).status, 200u);
  ASSERT_EQ(control(s, {{"task_id", switched}, {"webhook_payload", "no-task-id"}}).status, 200u);
  EXPECT_EQ(control(s, {{"task_id", switched}, {"webhook_payload", "sometimes"}}).status, 400u);
  wait_for_end(s, done);
  ASSERT_EQ(wait_for_end(s, failed, "FAILURE"), "FAILURE");
  wait_for_end(s, switched);

  // SUCCESS is the last change: once its post is in, no other can follow.
  const auto hooks = wait_for_posted(s, receiver, done, "done", 1);
  ASSERT_EQ(hooks.size(), 1u);
  const auto result = request(s.sim_port(), "GET", "/v1/generations/" + done, auth());
  EXPECT_EQ(json::parse(hooks[0].body), result.json()) << "the body is the generation result";
  const auto body = json::parse(hooks[0].body).as_object();
  EXPECT_EQ(body.at("id").as_string(), done);
  EXPECT_EQ(body.at("status").as_string(), "SUCCESS");
  EXPECT_EQ(body.at("song_paths").as_array().size(), 1u);

  const auto failure = wait_for_posted(s, receiver, failed, "failed", 1);
  ASSERT_EQ(failure.size(), 1u);
  const auto failure_body = json::parse(failure[0].body).as_object();
  EXPECT_EQ(failure_body.at("id").as_string(), failed);
  EXPECT_EQ(failure_body.at("status").as_string(), "FAILURE");
  EXPECT_TRUE(failure_body.at("song_paths").is_null());
  EXPECT_FALSE(failure_body.at("error_message").is_null());

  // Switched per task right after create: what passed before the switch went unannounced (completion-only),
  // every later change came as {"status"}.
  wait_until([&] { auto got = receiver.posted_to("switched");
                   return !got.empty() && got.back().status() == "SUCCESS" &&
                          webhooks_sent(s, switched) == static_cast<int>(got.size()); },
             [] { return std::string("no SUCCESS post for the switched task"); });
  const auto got = receiver.posted_to("switched");
  ASSERT_LE(got.size(), all_statuses.size());
  const std::vector<std::string> tail(all_statuses.end() - static_cast<std::ptrdiff_t>(got.size()), all_statuses.end());
  EXPECT_EQ(statuses_of(got), tail);
  for (const auto& h : got) EXPECT_EQ(json::parse(h.body).as_object().size(), 1u) << h.body;
}

// -------------------------------------------------------------------------------------------- refusals

void expect_refusal(const http_reply& reply, unsigned status) {
  EXPECT_EQ(reply.status, status) << reply.body;
  EXPECT_EQ(reply.header("content-type"), "application/json");
  const auto detail = reply.json().at("detail");
  switch (status) {
    case 401:
      EXPECT_EQ(detail.as_string(), "Invalid API key");
      break;
    case 402:
      EXPECT_EQ(detail.as_string(), "Insufficient credits");
      break;
    case 422:
      ASSERT_TRUE(detail.is_array()) << reply.body;
      ASSERT_FALSE(detail.as_array().empty());
      EXPECT_TRUE(detail.as_array()[0].as_object().contains("msg")) << reply.body;
      EXPECT_TRUE(detail.as_array()[0].as_object().contains("loc")) << reply.body;
      break;
    case 429:
      EXPECT_EQ(detail.as_string(), "Rate limit exceeded");
      break;
    case 500:
      EXPECT_EQ(detail.as_string(), "Internal Server Error");
      break;
    default:
      EXPECT_TRUE(detail.is_string());
  }
}

TEST(sim_refuse_create, each_status_with_its_body_every_time_and_nothing_created) {
  stack s;
  for (unsigned status : {401u, 402u, 422u, 429u, 500u}) {
    auto reply = control(s, {{"refuse_create", status}, {"refuse_create_times", 0}});
    ASSERT_EQ(reply.status, 200u) << reply.body;
    EXPECT_EQ(reply.json().at("refuse_create").to_number<unsigned>(), status);
    for (int i = 0; i < 2; ++i) expect_refusal(post_create(s, "refused"), status);
  }
  auto counts = stats(s);
  EXPECT_EQ(counts.at("create_refusals").to_number<int>(), 10);
  EXPECT_EQ(counts.at("creates").to_number<int>(), 0);
  EXPECT_TRUE(s.sim("GET", "/_sim/tasks").json().as_array().empty());

  ASSERT_EQ(control(s, {{"refuse_create", 0}}).status, 200u);
  EXPECT_EQ(post_create(s, "accepted").status, 200u);
  counts = stats(s);
  EXPECT_EQ(counts.at("creates").to_number<int>(), 1);
  EXPECT_EQ(counts.at("create_refusals").to_number<int>(), 10);
}

TEST(sim_refuse_create, once_then_success) {
  stack s;
  ASSERT_EQ(control(s, {{"refuse_create", 429}, {"refuse_create_times", 1}}).status, 200u);
  expect_refusal(post_create(s, "first"), 429);
  EXPECT_EQ(post_create(s, "second").status, 200u);
  EXPECT_EQ(post_create(s, "third").status, 200u);
  // Setting the key again re-arms it, with the count already set.
  ASSERT_EQ(control(s, {{"refuse_create", 500}}).status, 200u);
  expect_refusal(post_create(s, "fourth"), 500);
  EXPECT_EQ(post_create(s, "fifth").status, 200u);
  const auto counts = stats(s);
  EXPECT_EQ(counts.at("creates").to_number<int>(), 3);
  EXPECT_EQ(counts.at("create_refusals").to_number<int>(), 2);
  EXPECT_EQ(s.sim("GET", "/_sim/tasks").json().as_array().size(), 3u);
}

TEST(sim_refuse_create, flags_refuse_n_times_or_always) {
  {
    stack s(with_flags({"--refuse-create", "402", "--refuse-create-times", "2"}));
    expect_refusal(post_create(s, "a"), 402);
    expect_refusal(post_create(s, "b"), 402);
    EXPECT_EQ(post_create(s, "c").status, 200u);
    EXPECT_EQ(stats(s).at("create_refusals").to_number<int>(), 2);
    EXPECT_EQ(stats(s).at("creates").to_number<int>(), 1);
  }
  {
    stack s(with_flags({"--refuse-create", "422"}));
    for (int i = 0; i < 3; ++i) expect_refusal(post_create(s, "always"), 422);
    EXPECT_EQ(stats(s).at("creates").to_number<int>(), 0);
    ASSERT_EQ(control(s, {{"refuse_create", 0}}).status, 200u);
    EXPECT_EQ(post_create(s, "now").status, 200u);
  }
}

TEST(sim_refuse_create, bad_control_values_answer_400_and_change_nothing) {
  stack s;
  for (const auto& fields : std::vector<json::object>{{{"refuse_create", 200}},
                                                      {{"refuse_create", 600}},
                                                      {{"refuse_create", "429"}},
                                                      {{"refuse_create_times", -1}},
                                                      {{"refuse_create_times", 1.5}},
                                                      {{"refuse_create", 429}, {"refuse_create_times", "once"}}}) {
    EXPECT_EQ(control(s, fields).status, 400u) << json::serialize(fields);
  }
  EXPECT_EQ(stats(s).at("refuse_create").to_number<int>(), 0);
  EXPECT_EQ(post_create(s, "fine").status, 200u);
}

}  // namespace
}  // namespace serenade::testing
