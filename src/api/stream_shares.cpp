#include "api/stream_shares.hpp"

#include "http/client_address.hpp"

namespace serenade::api {

std::optional<core::keyed_slots::slot> stream_shares::take(const http::request& req) {
  return slots.try_take(http::client_group(http::client_key(req.remote_address, req.header("X-Forwarded-For"), trust_proxy)));
}

}  // namespace serenade::api
