#include "api/http_answers.hpp"

#include "lifecycle/submission_form.hpp"
#include "lifecycle/submission_result.hpp"
#include "live/listener.hpp"
#include "store/submission_store.hpp"

#include <boost/json.hpp>

namespace serenade::api {

namespace json = boost::json;
using std::chrono::seconds;

namespace {

struct answer {
  unsigned status;
  std::string detail;
  seconds retry_after{0};  // 0: no Retry-After
};

http::response to_response(const answer& a) {
  auto r = http::error_response(a.status, a.detail);
  if (a.retry_after.count() > 0) r.set("Retry-After", std::to_string(a.retry_after.count()));
  return r;
}

// The upstream's own words are only passed on when it found the person's request invalid; everything else
// is Serenade's problem, not theirs.
answer answer_of(const lifecycle::submission_refusal& r) {
  using lifecycle::refusal_reason;
  switch (r.reason) {
    case refusal_reason::not_found: return {404, "Session not found"};
    case refusal_reason::taken_back: return {410, "This song was deleted by the person who made it."};
    case refusal_reason::not_failed: return {409, "Only a song that could not be finished can be tried again."};
    case refusal_reason::already_retried: return {409, "This song is being tried again already."};
    case refusal_reason::client_rate_limited:
      return {429,
              "You have written several songs in a short time. Please wait " + wait_phrase(r.retry_after) +
                  " before the next one.",
              r.retry_after};
    case refusal_reason::too_many_generating:
      return {429, "Many songs are being written right now. Please try again in a minute.", r.retry_after};
    case refusal_reason::daily_budget_spent:
      // "Tomorrow" would be wrong for half the world: the day ends at UTC midnight, so say how long instead.
      return {429,
              "Serenade has written all the songs it can today. Please come back in " + wait_phrase(r.retry_after) +
                  ".",
              r.retry_after};
    case refusal_reason::range_share_spent:
      return {429,
              "Many songs have been written from your network today. Please come back in " +
                  wait_phrase(r.retry_after) + ".",
              r.retry_after};
    case refusal_reason::upstream_refused:
      return {422, "The song service could not accept this story. Please change the story or the style and try again."};
    case refusal_reason::upstream_misconfigured:
      return {503, "The song service is misconfigured. Please try again later."};
    case refusal_reason::upstream_out_of_credits:
      return {503, "The song service is out of credits. Please try again later."};
    case refusal_reason::upstream_busy: return {503, "The song service is busy. Please try again in a minute."};
    case refusal_reason::upstream_timeout: return {504, "The song service took too long to answer. Please try again."};
    case refusal_reason::upstream_unavailable: break;
  }
  return {503, "The song service cannot be reached right now. Please try again shortly."};
}

answer answer_of(request_refusal r) {
  switch (r) {
    case request_refusal::not_json: return {415, "Send the form as application/json"};
    case request_refusal::bad_idempotency_key:
      return {400, "Idempotency-Key must be 1 to 255 visible ASCII characters"};
    case request_refusal::session_not_found: return {404, "Session not found"};
    case request_refusal::song_taken_back: return {410, "This song was deleted by the person who made it."};
    case request_refusal::not_the_owner:
      return {403, "Only the browser that wrote this song can delete it (its owner token is missing or wrong)."};
    case request_refusal::no_generation: return {400, "No task ID available"};
    case request_refusal::stream_not_ready: return {400, "Streaming not ready"};
    case request_refusal::song_copy_not_found:
      return {404, "This copy of the song is no longer kept. Load the song again from its stream URL."};
    case request_refusal::song_not_finished:
      return {409, "The song can be downloaded once it is finished. Listen to it meanwhile from its stream URL."};
    case request_refusal::song_file_unreadable: return {404, "This song's file is not kept here any more."};
    case request_refusal::page_not_found:
    case request_refusal::webhook_not_found: break;
    case request_refusal::too_many_streams:
      return {429, "Too many songs are playing from your address. Close one and try again.", seconds{5}};
  }
  return {404, "Not found"};
}

answer answer_of(const live::start_refusal& r) {
  switch (r.why) {
    case live::start_refusal::reason::archive_unavailable:
      return {503, "This song cannot be played right now. Please try again in a minute.", seconds{30}};
    case live::start_refusal::reason::start_timeout:
      return {504, "The music service did not start the stream in time"};
    case live::start_refusal::reason::failed_lately:
      return {503, "The music service's stream failed a moment ago. Please try again in a minute.", r.retry_after};
    case live::start_refusal::reason::upstream_refused: break;
  }
  return {502, "The music service's stream could not be opened. Please try again in a minute."};
}

}  // namespace

std::string wait_phrase(seconds wait) {
  if (wait <= seconds{60}) return "a minute";
  const auto minutes = (wait.count() + 59) / 60;
  if (minutes < 120) return std::to_string(minutes) + " minutes";
  const auto hours = (wait.count() + 3599) / 3600;
  return std::to_string(hours) + " hours";
}

http::response answer_for(request_refusal refusal) { return to_response(answer_of(refusal)); }

http::response answer_for(const lifecycle::submission_refusal& refusal) { return to_response(answer_of(refusal)); }

http::response answer_for(const live::start_refusal& refusal) { return to_response(answer_of(refusal)); }

http::response answer_for(const lifecycle::parse_result& invalid_form) {
  json::object body{{"detail", invalid_form.detail}};
  if (!invalid_form.errors.empty()) {
    json::object fields;
    for (const auto& e : invalid_form.errors) fields[e.field] = e.message;
    body["errors"] = std::move(fields);
  }
  const unsigned status = invalid_form.errors.empty() ? 400 : 422;
  return http::json_response(status, json::serialize(body));
}

std::optional<http::response> answer_for_failure(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const store::store_unavailable&) {
    auto r = http::error_response(503, "Serenade cannot reach its database for a moment. Please try again shortly.");
    r.set("Retry-After", "5");
    return r;
  } catch (...) {
  }
  return std::nullopt;
}

}  // namespace serenade::api
