#pragma once
// The simulator's webhook POSTs: one JSON body to one plain-http URL, one connection per request, with an
// overall deadline. No retries, no TLS, no redirects: a receiver that is down simply misses the webhook.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

namespace serenade::sim {

struct webhook_result {
  bool delivered = false;  // a response came back (whatever its status)
  unsigned status = 0;     // its HTTP status
  std::string error;       // why nothing came back, when not delivered
};

// POSTs `body` (Content-Type: application/json) to `url` (http://host[:port][/path][?query]).
boost::asio::awaitable<webhook_result> post_webhook(std::string url, std::string body,
                                                    std::chrono::milliseconds timeout);

}  // namespace serenade::sim
