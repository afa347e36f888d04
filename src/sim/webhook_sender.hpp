#pragma once
// The simulator's webhook POSTs: one JSON body to one http:// or https:// URL, one connection per request, with an
// overall deadline. No retries, no redirects: a receiver that is down simply misses the webhook. Over https the
// receiver's certificate and host name are checked, as a real sender would.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace serenade::sim {

struct webhook_result {
  bool delivered = false;  // a response came back (whatever its status)
  unsigned status = 0;     // its HTTP status
  std::string error;       // why nothing came back, when not delivered
};

// A TLS client context that trusts the system's certificates and those in `ca_file` (PEM; empty: none more).
// Throws when the file cannot be read.
std::shared_ptr<boost::asio::ssl::context> make_webhook_tls(const std::string& ca_file);

// POSTs `body` (Content-Type: application/json) to `url` (http(s)://host[:port][/path][?query]); https:// is
// verified with `tls`.
boost::asio::awaitable<webhook_result> post_webhook(std::string url, std::string body,
                                                    std::chrono::milliseconds timeout, boost::asio::ssl::context& tls);

}  // namespace serenade::sim
