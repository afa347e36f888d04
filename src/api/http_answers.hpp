#pragma once
// Where the lifecycle's and the live stream's refusals become HTTP: one status, one sentence for the person
// ({"detail": ...}) and, where asking again later helps, Retry-After. Every refusal the API answers is here.
#include "http/message.hpp"

#include <chrono>
#include <string>

namespace serenade::lifecycle {
struct parse_result;
struct submission_refusal;
}
namespace serenade::live {
struct start_refusal;
}

namespace serenade::api {

http::response answer_for(const lifecycle::submission_refusal& refusal);
http::response answer_for(const live::start_refusal& refusal);
// A form that could not be accepted: 400 when the body is unusable, 422 with the fields' sentences.
http::response answer_for(const lifecycle::parse_result& invalid_form);

// Duration phrases such as "a minute", "12 minutes", "3 hours", for sentences that say how long to wait.
std::string wait_phrase(std::chrono::seconds wait);

}  // namespace serenade::api
