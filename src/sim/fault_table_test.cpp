#include "sim/fault_table.hpp"

#include "sim/simulator.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <set>

namespace serenade::sim {
namespace {

namespace json = boost::json;

// The names tests, bench/run and scripts use: none may change.
const std::set<std::string> task_keys{"fail_at",          "stall_stream_answer", "drop_after_bytes",
                                      "drop_every_time",  "stall_seconds",       "stall_at_bytes",
                                      "refuse_cdn",       "corrupt_cdn",         "truncate_cdn",
                                      "expire_immediately", "delete_cdn_after",  "never_ready",
                                      "webhooks",         "webhook_delay",       "final_encode",
                                      "replay",           "stream_end",          "ready_race",
                                      "webhook_payload"};
const std::vector<std::string> fault_flags{
    "--drop-after-bytes", "--drop-every-time", "--stall-seconds",      "--stall-at-bytes",
    "--refuse-cdn",       "--corrupt-cdn",     "--truncate-cdn",       "--expire-immediately",
    "--delete-cdn-after", "--never-ready",     "--webhooks",           "--webhook-delay",
    "--refuse-create",    "--refuse-create-times", "--reuse-task-id", "--final-encode",
    "--replay", "--stream-end", "--ready-race", "--webhook-payload", "--status-429-every", "--credits"};

simulator_options parse(const std::string& command_line) {
  CLI::App app;
  simulator_options options;
  add_simulator_options(app, options);
  app.parse(command_line, false);
  return options;
}

json::object object(std::string_view text) { return json::parse(text).as_object(); }

TEST(fault_table, the_report_has_one_field_per_task_switch) {
  std::set<std::string> keys;
  for (const auto& [key, value] : fault_report(task_faults{})) keys.emplace(key);
  EXPECT_EQ(keys, task_keys);
}

TEST(fault_table, the_service_switches_join_a_report) {
  json::object out;
  add_fault_report(out, service_faults{.refuse_create = 429,
                                        .refuse_create_times = 2,
                                        .reuse_task_id = true,
                                        .lose_create_answers = 3,
                                        .status_429_every = 5,
                                        .credits = 700});
  EXPECT_EQ(out.at("refuse_create").to_number<int>(), 429);
  EXPECT_EQ(out.at("refuse_create_times").to_number<int>(), 2);
  EXPECT_EQ(out.at("reuse_task_id"), true);
  EXPECT_EQ(out.at("lose_create_answers").to_number<int>(), 3);
  EXPECT_EQ(out.at("status_429_every").to_number<int>(), 5);
  EXPECT_EQ(out.at("credits").to_number<int>(), 700);
  EXPECT_EQ(out.size(), 6u);
}

TEST(fault_table, every_flag_is_offered_and_every_key_is_explained) {
  CLI::App app;
  simulator_options options;
  add_simulator_options(app, options);
  for (const auto& flag : fault_flags) EXPECT_NE(app.get_option_no_throw(flag), nullptr) << flag;
  const auto help = app.help();
  for (const auto& key : task_keys) EXPECT_NE(help.find(key), std::string::npos) << key;
  EXPECT_NE(help.find("refuse_create_times"), std::string::npos);
}

TEST(fault_table, a_flag_sets_the_switch_its_report_field_shows) {
  const auto options = parse(
      "--drop-after-bytes 20000 --drop-every-time --stall-seconds 0.5 --stall-at-bytes 1000 --refuse-cdn 403 "
      "--corrupt-cdn --truncate-cdn --expire-immediately --delete-cdn-after 7 --never-ready --webhooks reordered "
      "--webhook-delay 1.5 --refuse-create 429 --refuse-create-times 3 --status-429-every 4");
  const auto report = fault_report(options.faults);
  EXPECT_EQ(report.at("drop_after_bytes").to_number<int>(), 20000);
  EXPECT_EQ(report.at("drop_every_time"), true);
  EXPECT_EQ(report.at("stall_seconds").to_number<double>(), 0.5);
  EXPECT_EQ(report.at("stall_at_bytes").to_number<int>(), 1000);
  EXPECT_EQ(report.at("refuse_cdn").to_number<int>(), 403);
  EXPECT_EQ(report.at("corrupt_cdn"), true);
  EXPECT_EQ(report.at("truncate_cdn"), true);
  EXPECT_EQ(report.at("expire_immediately"), true);
  EXPECT_EQ(report.at("delete_cdn_after").to_number<double>(), 7.0);
  EXPECT_EQ(report.at("never_ready"), true);
  EXPECT_EQ(report.at("webhooks"), "reordered");
  EXPECT_EQ(report.at("webhook_delay").to_number<double>(), 1.5);
  EXPECT_EQ(options.service.refuse_create, 429u);
  EXPECT_EQ(options.service.refuse_create_times, 3u);
  EXPECT_EQ(options.service.status_429_every, 4u);
}

TEST(fault_table, the_defaults_are_reported_as_before) {
  const auto report = fault_report(parse("").faults);
  EXPECT_TRUE(report.at("fail_at").is_null());
  EXPECT_TRUE(report.at("drop_after_bytes").is_null());
  EXPECT_EQ(report.at("delete_cdn_after").to_number<double>(), 168 * 3600.0);
  EXPECT_EQ(report.at("webhooks"), "normal");
  EXPECT_EQ(report.at("webhook_delay").to_number<double>(), 2.0);
}

TEST(fault_table, the_open_questions_default_to_the_likeliest_answers) {
  const auto report = fault_report(parse("").faults);
  EXPECT_EQ(report.at("final_encode"), "different");
  EXPECT_EQ(report.at("replay"), "identical");
  EXPECT_EQ(report.at("stream_end"), "close");
  EXPECT_EQ(report.at("ready_race").to_number<double>(), 0.0);
  EXPECT_EQ(report.at("webhook_payload"), "flat");
}

TEST(fault_table, named_choices_are_read_from_flags_and_control_alike) {
  EXPECT_EQ(fault_report(parse("--final-encode different").faults).at("final_encode"), "different");
  task_faults faults;
  EXPECT_FALSE(apply_fault_keys(object(R"({"final_encode":"different"})"), faults).problem);
  EXPECT_EQ(faults.final_encode, final_encode_mode::different);
  EXPECT_EQ(*apply_fault_keys(object(R"({"final_encode":"other"})"), faults).problem,
            "final_encode must be one of same, different");
  EXPECT_THROW(parse("--final-encode other"), CLI::ParseError);
  EXPECT_EQ(fault_report(parse("--replay reencoded").faults).at("replay"), "reencoded");
  EXPECT_TRUE(apply_fault_keys(object(R"({"replay":true})"), faults).problem);
  EXPECT_EQ(fault_report(parse("--stream-end expire-early").faults).at("stream_end"), "expire-early");
  EXPECT_FALSE(apply_fault_keys(object(R"({"stream_end":"close"})"), faults).problem);
  EXPECT_EQ(faults.stream_end, stream_end_mode::close);
  EXPECT_TRUE(apply_fault_keys(object(R"({"stream_end":"expire_early"})"), faults).problem) << "names as flags spell them";
  EXPECT_EQ(fault_report(parse("--webhook-payload no-task-id").faults).at("webhook_payload"), "no-task-id");
  EXPECT_FALSE(apply_fault_keys(object(R"({"webhook_payload":"completion-only"})"), faults).problem);
  EXPECT_EQ(faults.webhook_payload, webhook_payload_shape::completion_only);
}

TEST(fault_table, flags_refuse_what_control_refuses) {
  for (const auto* line : {"--refuse-cdn 200", "--refuse-cdn 600", "--refuse-create 99", "--webhooks sometimes",
                           "--stall-seconds -1"}) {
    EXPECT_THROW(parse(line), CLI::ParseError) << line;
  }
}

TEST(fault_table, a_control_key_sets_the_switch_its_report_field_shows) {
  task_faults faults;
  const auto update = apply_fault_keys(
      object(R"({"fail_at":"GENERATING","stall_stream_answer":5,"drop_after_bytes":50000,"refuse_cdn":503,
                 "corrupt_cdn":true,"webhooks":"delayed","webhook_delay":0.5})"),
      faults);
  EXPECT_FALSE(update.problem);
  EXPECT_TRUE(update.any_set);
  EXPECT_TRUE(update.drop_rearmed);
  const auto report = fault_report(faults);
  EXPECT_EQ(report.at("fail_at"), "GENERATING");
  EXPECT_EQ(report.at("stall_stream_answer").to_number<double>(), 5.0);
  EXPECT_EQ(report.at("drop_after_bytes").to_number<int>(), 50000);
  EXPECT_EQ(report.at("refuse_cdn").to_number<int>(), 503);
  EXPECT_EQ(report.at("corrupt_cdn"), true);
  EXPECT_EQ(report.at("webhooks"), "delayed");
  EXPECT_EQ(report.at("webhook_delay").to_number<double>(), 0.5);

  EXPECT_FALSE(apply_fault_keys(object(R"({"fail_at":null,"drop_after_bytes":null})"), faults).problem);
  EXPECT_FALSE(faults.fail_at);
  EXPECT_FALSE(faults.drop_after_bytes);
}

TEST(fault_table, a_bad_value_is_refused_with_its_key_named) {
  for (const auto* body : {R"({"drop_after_bytes":-1})", R"({"drop_after_bytes":1.5})", R"({"drop_after_bytes":"10"})",
                           R"({"refuse_cdn":200})", R"({"refuse_cdn":600})", R"({"corrupt_cdn":"yes"})",
                           R"({"stall_seconds":-1})", R"({"stall_at_bytes":-5})", R"({"delete_cdn_after":"soon"})",
                           R"({"never_ready":1})", R"({"fail_at":3})", R"({"webhooks":"sometimes"})"}) {
    task_faults faults;
    const auto fields = object(body);
    const auto update = apply_fault_keys(fields, faults);
    ASSERT_TRUE(update.problem) << body;
    const auto key = fields.begin()->key();
    EXPECT_TRUE(update.problem->starts_with(std::string(key) + " must be")) << *update.problem;
  }
  service_faults create;
  EXPECT_TRUE(apply_fault_keys(object(R"({"refuse_create":"429"})"), create).problem);
  EXPECT_TRUE(apply_fault_keys(object(R"({"refuse_create_times":-1})"), create).problem);
}

TEST(fault_table, keys_that_name_no_switch_are_left_alone) {
  task_faults faults;
  const auto update = apply_fault_keys(object(R"({"task_id":"x","api_key":"k","no_such_switch":1})"), faults);
  EXPECT_FALSE(update.problem);
  EXPECT_FALSE(update.any_set);
  EXPECT_EQ(fault_report(faults), fault_report(task_faults{}));
  service_faults create;
  EXPECT_FALSE(apply_fault_keys(object(R"({"corrupt_cdn":true})"), create).any_set);
}

TEST(fault_table, only_drop_after_bytes_rearms_the_one_time_drop) {
  task_faults faults;
  EXPECT_FALSE(apply_fault_keys(object(R"({"drop_every_time":true})"), faults).drop_rearmed);
  EXPECT_TRUE(apply_fault_keys(object(R"({"drop_after_bytes":null})"), faults).drop_rearmed);
}

TEST(fault_table, options_built_in_code_are_checked_like_flags) {
  task_faults faults;
  EXPECT_FALSE(check_faults(faults, {}));
  faults.refuse_cdn = 200;
  EXPECT_EQ(check_faults(faults, {}), "--refuse-cdn must be an HTTP status 400-599, or 0");
  EXPECT_EQ(check_faults({}, service_faults{600, 0}), "--refuse-create must be an HTTP status 400-599, or 0");
}

}  // namespace
}  // namespace serenade::sim
