#pragma once
// The fault switches a simulated Sonauto can be told to misbehave with: per task (every task starts with the
// `serenade simulate` flags, POST /_sim/control changes one task's) and service-wide (the create endpoint, the
// status endpoint's rate limit). What each switch
// does, and how it is set, is in its row of fault_table.cpp.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace serenade::sim {

// How a task's webhooks go out (only for tasks created with a webhook_url): each status change POSTs a body of the
// task's webhook_payload_shape to it, starting with RECEIVED at creation.
//   none        nothing is ever sent
//   normal      one POST per change, as soon as it happens
//   duplicated  each POST sent twice in a row
//   reordered   each change's POST held back and sent right after the next one's (pairs swapped); one
//               still held when no further change is due (SUCCESS, FAILURE, never ready) goes out then
//   delayed     each POST sent webhook_delay seconds after its change
enum class webhook_mode { none, normal, duplicated, reordered, delayed };

// The names of a switch's values, as flags and control bodies spell them; the first is the fallback.
template <class Choice>
struct choice_names;

template <>
struct choice_names<webhook_mode> {
  static constexpr std::array<std::pair<webhook_mode, std::string_view>, 5> all{{{webhook_mode::none, "none"},
                                                                                  {webhook_mode::normal, "normal"},
                                                                                  {webhook_mode::duplicated, "duplicated"},
                                                                                  {webhook_mode::reordered, "reordered"},
                                                                                  {webhook_mode::delayed, "delayed"}}};
};

// The final file (song_paths) against the live stream; which one Sonauto does is not documented.
//   same       one encode everywhere: the stream's 192 kbit/s CBR frames are the CDN file, byte for byte
//   different  the CDN file is a separate encode of the same PCM at 192 kbit/s with an ID3v2 tag (title), a
//              Xing/LAME "Info" frame and an ID3v1 tag; the stream is 128 kbit/s CBR plain frames. The stream's
//              bitrate is fixed when the task is created; switching later changes only the CDN file.
enum class final_encode_mode { same, different };

template <>
struct choice_names<final_encode_mode> {
  static constexpr std::array<std::pair<final_encode_mode, std::string_view>, 2> all{
      {{final_encode_mode::same, "same"}, {final_encode_mode::different, "different"}}};
};

// What a reconnect replays; whether Sonauto's replay is byte-identical to what an earlier connection sent is
// not documented.
//   identical  every connection sends the same bytes from byte 0
//   reencoded  every connection after the task's first sends another encode of the same song (the stream's
//              bitrate, another LAME quality): the same length in time and bytes, other bytes
enum class replay_mode { identical, reencoded };

template <>
struct choice_names<replay_mode> {
  static constexpr std::array<std::pair<replay_mode, std::string_view>, 2> all{
      {{replay_mode::identical, "identical"}, {replay_mode::reencoded, "reencoded"}}};
};

// How a stream connection ends once the song is complete; not documented beyond "ends when the song is complete"
// and "expires a few seconds after SUCCESS".
//   final_chunk   the chunked body's terminating zero-size chunk, then the connection stays usable
//   close         the last audio byte, then the connection is closed without the zero-size chunk (unframed end)
//   expire_early  the stream expires at SUCCESS: new connections get 404 from then on, and a connection still
//                 open is cut there without the zero-size chunk, the last seconds of audio (stream_tail_held)
//                 never sent, as if it had lagged behind generation
enum class stream_end_mode { final_chunk, close, expire_early };

template <>
struct choice_names<stream_end_mode> {
  static constexpr std::array<std::pair<stream_end_mode, std::string_view>, 3> all{
      {{stream_end_mode::final_chunk, "final-chunk"},
       {stream_end_mode::close, "close"},
       {stream_end_mode::expire_early, "expire-early"}}};
};

// Seconds of audio an expire_early connection holds back (at most half the song).
inline constexpr double stream_tail_held = 2.0;

template <class Choice>
constexpr std::string_view choice_name(Choice value) {
  for (const auto& [choice, name] : choice_names<Choice>::all) {
    if (choice == value) return name;
  }
  return choice_names<Choice>::all.front().second;
}

template <class Choice>
constexpr std::optional<Choice> parse_choice(std::string_view name) {
  for (const auto& [choice, known] : choice_names<Choice>::all) {
    if (known == name) return choice;
  }
  return std::nullopt;
}

// What a webhook POST carries; Sonauto documents webhook_url but not the body.
//   flat             {"task_id", "status", "alignment_status": null}, one per status change
//   nested           {"event": "status_update", "data": {"task_id", "status", "alignment_status"}} per change: no
//                    top-level task_id
//   completion_only  one POST, at SUCCESS or FAILURE, whose body is the generation result (GET
//                    /v1/generations/{id}: id, status, song_paths, ...)
//   no_task_id       {"status"} per change: only the URL tells which task it is about
enum class webhook_payload_shape { flat, nested, completion_only, no_task_id };

template <>
struct choice_names<webhook_payload_shape> {
  static constexpr std::array<std::pair<webhook_payload_shape, std::string_view>, 4> all{
      {{webhook_payload_shape::flat, "flat"},
       {webhook_payload_shape::nested, "nested"},
       {webhook_payload_shape::completion_only, "completion-only"},
       {webhook_payload_shape::no_task_id, "no-task-id"}}};
};

// A status a switch may answer with: 0 (off) or 400-599.
bool valid_refusal(std::uint64_t status);

struct task_faults {
  std::optional<std::string> fail_at;
  double stall_stream_answer = 0;
  std::optional<std::uint64_t> drop_after_bytes;
  bool drop_every_time = false;
  double stall_seconds = 0;
  std::uint64_t stall_at_bytes = 0;
  unsigned refuse_cdn = 0;
  bool corrupt_cdn = false;
  bool truncate_cdn = false;
  bool expire_immediately = false;
  double delete_cdn_after = 168 * 3600.0;  // Sonauto deletes its CDN copies after a week
  bool never_ready = false;
  webhook_mode webhooks = webhook_mode::normal;
  double webhook_delay = 2;
  final_encode_mode final_encode = final_encode_mode::different;
  replay_mode replay = replay_mode::identical;
  stream_end_mode stream_end = stream_end_mode::close;
  double ready_race = 0;
  webhook_payload_shape webhook_payload = webhook_payload_shape::flat;
};

struct service_faults {
  unsigned refuse_create = 0;
  std::uint64_t refuse_create_times = 0;
  bool reuse_task_id = false;
  std::uint64_t lose_create_answers = 0;
  std::uint64_t status_429_every = 0;
  std::uint64_t credits = 100000;  // what GET /v1/credits/balance reports; a create spends song_credits
};

// What one generation costs, as Sonauto documents it.
inline constexpr std::uint64_t song_credits = 100;

}  // namespace serenade::sim
