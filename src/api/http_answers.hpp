#pragma once
// Where the lifecycle's and the live stream's refusals become HTTP: one status, one sentence for the person
// ({"detail": ...}) and, where asking again later helps, Retry-After. Every refusal the API answers is here.
#include "http/message.hpp"

#include <chrono>
#include <exception>
#include <optional>
#include <string>

namespace serenade::lifecycle {
struct parse_result;
struct submission_refusal;
}
namespace serenade::live {
struct start_refusal;
}

namespace serenade::api {

// What the API itself refuses about a request, before any part is asked.
enum class request_refusal {
  not_json,                  // a form that is not application/json
  bad_idempotency_key,       // an Idempotency-Key outside 1 to 255 visible ASCII characters
  session_not_found,         // no such session (or not a session id at all)
  song_taken_back,           // its maker deleted it (410: the link answers that it is gone)
  not_the_owner,             // a delete without the song's owner token
  no_generation,             // the submission has no Sonauto task
  stream_not_ready,          // the song cannot stream yet
  page_not_found,            // no such page of the front end
  webhook_not_found,         // a webhook with the wrong token: as if there were no such route
  too_many_streams,          // the client holds its share of long-lived answers already (api/stream_shares)
  song_copy_not_found,       // ?v= names no copy of the song that exists (any more)
  song_not_finished,         // a download of a song whose archived copy is not recorded yet
  song_file_unreadable,      // a download of a finished song whose archived file cannot be read here
};

http::response answer_for(request_refusal refusal);
http::response answer_for(const lifecycle::submission_refusal& refusal);
http::response answer_for(const live::start_refusal& refusal);
// A form that could not be accepted: 400 when the body is unusable, 422 with the fields' sentences.
http::response answer_for(const lifecycle::parse_result& invalid_form);
// For a handler that threw before answering (http::server_options::answer_for_failure): 503 with Retry-After while
// the database cannot be reached; nothing (500) for anything else.
std::optional<http::response> answer_for_failure(std::exception_ptr failure);

// Duration phrases such as "a minute", "12 minutes", "3 hours", for sentences that say how long to wait.
std::string wait_phrase(std::chrono::seconds wait);

}  // namespace serenade::api
