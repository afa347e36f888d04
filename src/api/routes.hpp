#pragma once
// Serenade's HTTP API: the routes and the thin handlers that glue the parts together.
#include "http/router.hpp"

#include <atomic>
#include <chrono>
#include <string>

namespace serenade::core {
class blocking_pool;
}
namespace serenade::http {
class static_site;
struct connection_counters;
}
namespace serenade::lifecycle {
class submissions;
struct finaliser_counters;
}
namespace serenade::live {
class hub_table;
}
namespace serenade::card {
class card_files;
}
namespace serenade::core {
class blocking_pool;
}

namespace serenade::api {

struct service_metrics;
class finished_songs;

struct route_context {
  lifecycle::submissions& submissions;
  live::hub_table& hubs;
  const http::static_site& site;
  std::string public_url;  // "" → links in answers are relative
  std::chrono::seconds stream_start_timeout{20};
  service_metrics& metrics;
  const lifecycle::finaliser_counters& finals;
  bool trust_proxy = false;
  const struct webhook_counters* webhooks = nullptr;  // set once the webhook routes exist
  finished_songs* finished = nullptr;                   // verified songs served without a database lookup
  std::string archive_dir;                              // where archive keeps the songs' files
  struct stream_shares* streams = nullptr;              // live listeners per client; null: not capped
  const http::connection_counters* connections = nullptr;  // the server's refusals, for /metrics
  const std::atomic<bool>* draining = nullptr;  // set at shutdown: /readyz answers 503 from then on
  std::string owner_secret;  // what owner tokens derive from (api/owner_token.hpp): the webhook token
  std::string relay_key;  // another instance's relay of a song is not a listener's stream share (api/relay_key.hpp)
  core::blocking_pool* disk = nullptr;  // file work a request needs (a download's tag); null: on the I/O thread (tests)
  card::card_files* cards = nullptr;        // share cards (api/share_page.hpp); set before routes are added
  core::blocking_pool* card_pool = nullptr;  // where cards are drawn; null: on the caller's thread (tests)
};

// Songs, submissions, health and the web front end. The context must outlive the router.
void add_api_routes(http::router& routes, route_context& context);

// GET /metrics, on the main router or on a router of its own (--metrics-listen). The context must outlive it.
void add_metrics_route(http::router& routes, route_context& context);

}  // namespace serenade::api
