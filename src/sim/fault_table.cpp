#include "sim/fault_table.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <span>
#include <type_traits>
#include <variant>
#include <vector>

namespace serenade::sim {

namespace json = boost::json;

namespace {

// The member's type decides how a switch is written and checked everywhere:
//   bool                          true or false (a bare flag)
//   double                        seconds >= 0
//   std::uint64_t                 a byte count or a number of times, >= 0
//   std::optional<std::uint64_t>  the same, or null: off
//   unsigned                      an HTTP status 400-599 to answer with, or 0: off
//   std::optional<std::string>    a Sonauto status, or null: never
//   an enum with choice_names     one of its names
template <class Switches>
using member = std::variant<bool Switches::*, double Switches::*, std::uint64_t Switches::*,
                            std::optional<std::uint64_t> Switches::*, unsigned Switches::*,
                            std::optional<std::string> Switches::*, webhook_mode Switches::*,
                            final_encode_mode Switches::*, replay_mode Switches::*, stream_end_mode Switches::*,
                            webhook_payload_shape Switches::*>;

template <class Value>
concept named_choice = std::is_enum_v<Value> && requires { choice_names<Value>::all; };

template <class Switches>
struct fault_row {
  std::string_view key;   // the control key and the report field
  std::string_view flag;  // the `serenade simulate` flag; empty: only through POST /_sim/control
  member<Switches> field;
  std::string_view help;
};

const fault_row<task_faults> task_rows[] = {
    {"fail_at", "", &task_faults::fail_at, "the task fails once it reaches this status (null: never)"},
    {"stall_stream_answer", "", &task_faults::stall_stream_answer,
     "stream requests wait this many seconds before their status line"},
    {"drop_after_bytes", "--drop-after-bytes", &task_faults::drop_after_bytes,
     "Cut a task's first stream connection (every one with --drop-every-time) after N body bytes: no final chunk, "
     "socket closed. Each connection replays from byte 0. Setting it through control re-arms the one-time cut"},
    {"drop_every_time", "--drop-every-time", &task_faults::drop_every_time,
     "With --drop-after-bytes: cut every stream connection, not only the first"},
    {"stall_seconds", "--stall-seconds", &task_faults::stall_seconds,
     "Each stream connection sends nothing for this many seconds (connection kept open), then continues"},
    {"stall_at_bytes", "--stall-at-bytes", &task_faults::stall_at_bytes,
     "With --stall-seconds: the pause starts after this many body bytes (0: right after the header)"},
    {"refuse_cdn", "--refuse-cdn", &task_faults::refuse_cdn,
     "CDN file URLs answer this HTTP status (400-599, e.g. 403 or 500) with a JSON detail; 0 serves them"},
    {"corrupt_cdn", "--corrupt-cdn", &task_faults::corrupt_cdn,
     "CDN files have a frame header in the middle flipped: same length, no longer consecutive MP3 frames"},
    {"truncate_cdn", "--truncate-cdn", &task_faults::truncate_cdn,
     "CDN files announce their full Content-Length but the connection closes after half the body "
     "(song_paths then point at a second, bare CDN port)"},
    {"expire_immediately", "--expire-immediately", &task_faults::expire_immediately,
     "The live stream answers 404 as soon as the task reaches SUCCESS (as --expire-after 0)"},
    {"delete_cdn_after", "--delete-cdn-after", &task_faults::delete_cdn_after,
     "Seconds after SUCCESS until the CDN file answers 404 (Sonauto deletes after 168 h)"},
    {"never_ready", "--never-ready", &task_faults::never_ready,
     "Tasks stay at GENERATING forever: no audio, no stream, no SUCCESS (time still counts from creation: "
     "switching it off jumps to wherever the task would be by then)"},
    {"webhooks", "--webhooks", &task_faults::webhooks,
     "How tasks created with a webhook_url are told of each status change (a POST shaped by "
     "--webhook-payload): none, normal (default), duplicated (each sent twice), reordered (each held back and "
     "sent after the next one), delayed (each sent --webhook-delay seconds late)"},
    {"webhook_delay", "--webhook-delay", &task_faults::webhook_delay,
     "Seconds each webhook is late with --webhooks delayed"},
    {"final_encode", "--final-encode", &task_faults::final_encode,
     "The CDN file against the live stream: different (the default: the CDN file a separate 192 kbit/s encode "
     "with ID3v2, Xing/LAME Info frame and ID3v1, the stream 128 kbit/s plain frames) or same (one 192 kbit/s "
     "encode, the same bytes); the stream's encode is fixed at create, switching later changes only the CDN "
     "file"},
    {"replay", "--replay", &task_faults::replay,
     "What a reconnect replays: identical (the same bytes from byte 0 on every connection) or reencoded (every "
     "stream connection after the task's first sends another encode of the song: same bitrate and length, other "
     "bytes, so the replayed prefix differs from what the first connection sent)"},
    {"stream_end", "--stream-end", &task_faults::stream_end,
     "How a stream connection ends: close (the default: the connection closed after the last byte, no "
     "zero-size chunk), final-chunk (the zero-size chunk after the last audio byte) or expire-early (the stream "
     "expires at SUCCESS: open connections are cut there with the last 2 s of audio never sent, new ones get "
     "404)"},
    {"ready_race", "--ready-race", &task_faults::ready_race,
     "The stream answers 400 {\"detail\":\"Track not ready for streaming\"} for this many seconds after the "
     "status reports GENERATING_STREAMING_READY (0: it opens with the status)"},
    {"webhook_payload", "--webhook-payload", &task_faults::webhook_payload,
     "What each webhook POST carries: flat ({task_id, status, alignment_status} per change), nested "
     "({event: status_update, data: {task_id, status, alignment_status}} per change), completion-only (one POST at "
     "SUCCESS or FAILURE carrying the generation result, as GET /v1/generations/{id}) or no-task-id ({status} "
     "per change, nothing naming the task)"},
};

const fault_row<service_faults> service_rows[] = {
    {"refuse_create", "--refuse-create", &service_faults::refuse_create,
     "POST /v1/generations/v3 answers this status (401, 402, 422, 429, 500 ...) with a FastAPI-style JSON detail "
     "and creates nothing; 0 creates"},
    {"refuse_create_times", "--refuse-create-times", &service_faults::refuse_create_times,
     "With --refuse-create: refuse only the first N creates (0: every one)"},
    {"reuse_task_id", "--reuse-task-id", &service_faults::reuse_task_id,
     "Every create after the first answers the first task's id again and creates nothing (a hostile upstream)"},
    {"lose_create_answers", "--lose-create-answers", &service_faults::lose_create_answers,
     "The next N creates make their task (credits spent, webhooks sent) but answer 504 Gateway Timeout instead "
     "of its id, as when the answer is lost on the way back (0: never)"},
    {"status_429_every", "--status-429-every", &service_faults::status_429_every,
     "Every Nth status call (GET /v1/generations/status/{id}), counted across all tasks, answers 429 "
     "{\"detail\":\"Too many requests\"} (0: never)"},
    {"credits", "--credits", &service_faults::credits,
     "The balance GET /v1/credits/balance reports as num_credits; each create spends 100 of it and is refused "
     "with 402 once fewer are left"},
};

template <named_choice Choice>
std::string choice_list(std::string_view separator) {
  std::string out;
  for (const auto& [choice, name] : choice_names<Choice>::all) {
    if (!out.empty()) out += separator;
    out += name;
  }
  return out;
}

// ----------------------------------------------------------------------------------------- one kind each

std::string value_hint(bool) { return "true|false"; }
std::string value_hint(double) { return "seconds"; }
std::string value_hint(std::uint64_t) { return "N"; }
std::string value_hint(const std::optional<std::uint64_t>&) { return "N|null"; }
std::string value_hint(unsigned) { return "status|0"; }
std::string value_hint(const std::optional<std::string>&) { return "status|null"; }
template <named_choice Choice>
std::string value_hint(Choice) {
  return choice_list<Choice>("|");
}

bool read_count(const json::value& v, std::uint64_t& out) {
  json::error_code ec;
  const auto n = v.is_number() ? v.to_number<std::uint64_t>(ec) : 0;
  if (!v.is_number() || ec) return false;
  out = n;
  return true;
}

// Each reads a control value into `out`, or returns why it cannot (then `out` is unspecified).
std::optional<std::string> read(const json::value& v, std::string_view key, bool& out) {
  if (!v.is_bool()) return fmt::format("{} must be true or false", key);
  out = v.as_bool();
  return std::nullopt;
}

std::optional<std::string> read(const json::value& v, std::string_view key, double& out) {
  if (!v.is_number() || v.to_number<double>() < 0) return fmt::format("{} must be a number of seconds >= 0", key);
  out = v.to_number<double>();
  return std::nullopt;
}

std::optional<std::string> read(const json::value& v, std::string_view key, std::uint64_t& out) {
  if (!read_count(v, out)) return fmt::format("{} must be an integer >= 0", key);
  return std::nullopt;
}

std::optional<std::string> read(const json::value& v, std::string_view key, std::optional<std::uint64_t>& out) {
  std::uint64_t n = 0;
  if (v.is_null()) {
    out.reset();
  } else if (read_count(v, n)) {
    out = n;
  } else {
    return fmt::format("{} must be an integer >= 0 or null", key);
  }
  return std::nullopt;
}

std::optional<std::string> read(const json::value& v, std::string_view key, unsigned& out) {
  std::uint64_t n = 0;
  if (!read_count(v, n) || !valid_refusal(n)) return fmt::format("{} must be an HTTP status 400-599, or 0", key);
  out = static_cast<unsigned>(n);
  return std::nullopt;
}

std::optional<std::string> read(const json::value& v, std::string_view key, std::optional<std::string>& out) {
  if (v.is_string()) {
    out = std::string(v.as_string());
  } else if (v.is_null()) {
    out.reset();
  } else {
    return fmt::format("{} must be a status or null", key);
  }
  return std::nullopt;
}

template <named_choice Choice>
std::optional<std::string> read(const json::value& v, std::string_view key, Choice& out) {
  const auto choice = v.is_string() ? parse_choice<Choice>(v.as_string()) : std::nullopt;
  if (!choice) return fmt::format("{} must be one of {}", key, choice_list<Choice>(", "));
  out = *choice;
  return std::nullopt;
}

json::value report(bool value) { return value; }
json::value report(double value) { return value; }
json::value report(std::uint64_t value) { return value; }
json::value report(const std::optional<std::uint64_t>& value) { return value ? json::value(*value) : nullptr; }
json::value report(unsigned value) { return value; }
json::value report(const std::optional<std::string>& value) { return value ? json::value(*value) : nullptr; }
template <named_choice Choice>
json::value report(Choice value) {
  return json::value(choice_name(value));
}

std::string refusal_check(const std::string& text) {
  try {
    return valid_refusal(std::stoull(text)) ? "" : "must be an HTTP status 400-599, or 0";
  } catch (const std::exception&) {
    return "must be an HTTP status 400-599, or 0";
  }
}

void add_flag(CLI::App& command, const std::string& flag, const std::string& help, bool& target) {
  command.add_flag(flag, target, help);
}
void add_flag(CLI::App& command, const std::string& flag, const std::string& help, double& target) {
  command.add_option(flag, target, help)->capture_default_str()->check(CLI::NonNegativeNumber);
}
void add_flag(CLI::App& command, const std::string& flag, const std::string& help, std::uint64_t& target) {
  command.add_option(flag, target, help)->capture_default_str()->type_name("N");
}
void add_flag(CLI::App& command, const std::string& flag, const std::string& help,
              std::optional<std::uint64_t>& target) {
  command.add_option_function<std::uint64_t>(flag, [&target](const std::uint64_t& n) { target = n; }, help)
      ->type_name("N");
}
void add_flag(CLI::App& command, const std::string& flag, const std::string& help, unsigned& target) {
  command.add_option(flag, target, help)->capture_default_str()->type_name("STATUS")->check(refusal_check);
}
void add_flag(CLI::App& command, const std::string& flag, const std::string& help,
              std::optional<std::string>& target) {
  command.add_option_function<std::string>(flag, [&target](const std::string& s) { target = s; }, help)
      ->type_name("STATUS");
}
template <named_choice Choice>
void add_flag(CLI::App& command, const std::string& flag, const std::string& help, Choice& target) {
  std::vector<std::string> names;
  for (const auto& [choice, name] : choice_names<Choice>::all) names.emplace_back(name);
  command
      .add_option_function<std::string>(
          flag, [&target](const std::string& name) { target = parse_choice<Choice>(name).value_or(target); }, help)
      ->check(CLI::IsMember(names))
      ->default_str(std::string(choice_name(target)))
      ->type_name("CHOICE");
}

// A value a flag would have refused, for options built in code.
bool acceptable(bool) { return true; }
bool acceptable(double value) { return value >= 0; }
bool acceptable(std::uint64_t) { return true; }
bool acceptable(const std::optional<std::uint64_t>&) { return true; }
bool acceptable(unsigned status) { return valid_refusal(status); }
bool acceptable(const std::optional<std::string>&) { return true; }
template <named_choice Choice>
bool acceptable(Choice) {
  return true;
}

std::string_view requirement(double) { return "a number of seconds >= 0"; }
std::string_view requirement(unsigned) { return "an HTTP status 400-599, or 0"; }
template <class Value>
std::string_view requirement(const Value&) {
  return "valid";
}

// ------------------------------------------------------------------------------------------ every row

template <class Switches>
void add_flags(CLI::App& command, std::span<const fault_row<Switches>> rows, Switches& switches) {
  for (const auto& row : rows) {
    if (row.flag.empty()) continue;
    std::visit([&](auto field) { add_flag(command, std::string(row.flag), std::string(row.help), switches.*field); },
               row.field);
  }
}

template <class Switches>
fault_update apply(std::span<const fault_row<Switches>> rows, const json::object& body, Switches& switches) {
  fault_update update;
  for (const auto& row : rows) {
    const auto* value = body.if_contains(row.key);
    if (!value) continue;
    update.problem = std::visit([&](auto field) { return read(*value, row.key, switches.*field); }, row.field);
    if (update.problem) return update;
    update.any_set = true;
    if (row.key == "drop_after_bytes") update.drop_rearmed = true;
  }
  return update;
}

template <class Switches>
void add_report(std::span<const fault_row<Switches>> rows, const Switches& switches, json::object& out) {
  for (const auto& row : rows) {
    out[row.key] = std::visit([&](auto field) { return report(switches.*field); }, row.field);
  }
}

template <class Switches>
std::optional<std::string> check(std::span<const fault_row<Switches>> rows, const Switches& switches) {
  for (const auto& row : rows) {
    if (row.flag.empty()) continue;
    auto problem = std::visit(
        [&](auto field) -> std::optional<std::string> {
          const auto& value = switches.*field;
          if (acceptable(value)) return std::nullopt;
          return fmt::format("{} must be {}", row.flag, requirement(value));
        },
        row.field);
    if (problem) return problem;
  }
  return std::nullopt;
}

template <class Switches>
void add_help(std::string& out, std::span<const fault_row<Switches>> rows) {
  const Switches defaults;
  for (const auto& row : rows) {
    const auto hint = std::visit([&](auto field) { return value_hint(defaults.*field); }, row.field);
    const auto what = row.flag.empty() ? std::string(row.help) : "as " + std::string(row.flag);
    out += fmt::format("  {:<20} {:<12} {}\n", row.key, hint, what);
  }
}

}  // namespace

bool valid_refusal(std::uint64_t status) { return status == 0 || (status >= 400 && status <= 599); }

void add_fault_flags(CLI::App& command, task_faults& task, service_faults& service) {
  add_flags<task_faults>(command, task_rows, task);
  add_flags<service_faults>(command, service_rows, service);
}

fault_update apply_fault_keys(const json::object& body, task_faults& faults) {
  return apply<task_faults>(task_rows, body, faults);
}

fault_update apply_fault_keys(const json::object& body, service_faults& faults) {
  return apply<service_faults>(service_rows, body, faults);
}

json::object fault_report(const task_faults& faults) {
  json::object out;
  add_report<task_faults>(task_rows, faults, out);
  return out;
}

void add_fault_report(json::object& out, const service_faults& faults) {
  add_report<service_faults>(service_rows, faults, out);
}

std::optional<std::string> check_faults(const task_faults& task, const service_faults& service) {
  if (auto problem = check<task_faults>(task_rows, task)) return problem;
  return check<service_faults>(service_rows, service);
}

std::string control_help() {
  std::string out =
      "Test endpoints: GET /_sim/tasks, GET /_sim/tasks/{id} (status, song_seconds, stream_connections_open/_total,\n"
      "how connections ended: stream_final_chunks, stream_unframed_ends, stream_expiry_cuts; refusals:\n"
      "stream_not_ready (400), stream_gone (404);\n"
      "cdn_requests, bytes_streamed_total, audio_bytes, stream_bitrate_kbps, final_bytes, reencoded_bytes,\n"
      "webhook_url, webhooks_sent/_failed, faults), GET /_sim/tasks/{id}/audio (the live stream's bytes), GET\n"
      "/_sim/tasks/{id}/final (the CDN file's), GET /_sim/tasks/{id}/reencoded (what reconnects replay with\n"
      "replay reencoded), GET /_sim/stats (creates, create_refusals, create_answers_lost, status_calls, status_429s,\n"
      "the service-wide switches).\n"
      "POST /_sim/control {\"api_key\": \"...\"} replaces the accepted key; with {\"task_id\": \"...\"} these keys\n"
      "change one task's faults (absent keys stay; a bad value answers 400 and changes nothing):\n";
  add_help<task_faults>(out, task_rows);
  out += "Service-wide keys, with or without task_id (setting any re-arms the counts of refuse_create_times,\n"
         "lose_create_answers and status_429_every):\n";
  add_help<service_faults>(out, service_rows);
  return out;
}

}  // namespace serenade::sim
