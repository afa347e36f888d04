#pragma once
// What the outside world may see of a submission: its state and links. Never the prompt, the task id
// or anything else internal.
#include "store/submission.hpp"

#include <string>

namespace serenade::api {

std::string iso_time(store::time_point t);
std::string submission_json(const store::submission& s, const std::string& public_url);
// The create's answer: the submission, and the owner token only its maker gets (api/owner_token.hpp).
std::string created_json(const store::submission& s, const std::string& public_url, const std::string& owner_token);

}  // namespace serenade::api
