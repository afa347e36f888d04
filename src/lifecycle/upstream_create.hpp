#pragma once
// Asking Sonauto for a generation: a few tries while it is busy or unreachable, and what a final refusal means.
#include "lifecycle/submission_result.hpp"
#include "sonauto/failure.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>

namespace serenade::sonauto {
class client;
struct generation_request;
}

namespace serenade::lifecycle {

// The task id, or the last failure. Only answers that say the request was not taken (429, 503) and failures
// before it was sent are tried again: after a timeout or a server error (500, 502, 504) the generation may exist
// already, and each one is paid for.
boost::asio::awaitable<sonauto::outcome<std::string>> create_with_retries(sonauto::client& client,
                                                                          const sonauto::generation_request& request,
                                                                          const std::string& session_id);

// Why the person's submit was refused, from Sonauto's failure.
submission_refusal refusal_for(const sonauto::failure& f);

// The request was sent and the answer lost, so the generation may exist upstream.
bool may_exist_upstream(const sonauto::failure& f);

}  // namespace serenade::lifecycle
