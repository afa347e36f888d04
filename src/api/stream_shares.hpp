#pragma once
// Long-lived answers (a live listener, a status-event stream) one client may hold at once. They hold a
// connection for minutes, so without a share one client could hold them all; counted per client group
// (http/client_address.hpp), from the forwarded address behind a trusted proxy.
#include "core/keyed_slots.hpp"
#include "http/message.hpp"

#include <optional>

namespace serenade::api {

struct stream_shares {
  core::keyed_slots slots;
  bool trust_proxy = false;

  // The request's client's slot, or nullopt when that client holds its share already.
  std::optional<core::keyed_slots::slot> take(const http::request& req);
};

}  // namespace serenade::api
