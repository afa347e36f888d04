#include "app/settings.hpp"

#include <algorithm>

namespace serenade::app {

sonauto::client_options sonauto_settings(const core::serve_config& c) {
  sonauto::client_options o;
  o.api_key = c.sonauto_api_key;
  o.api_base = c.sonauto_api_base;
  o.stream_base = c.sonauto_stream_base;
  o.connect_timeout = std::chrono::seconds(c.connect_timeout_s);
  o.request_timeout = std::chrono::seconds(c.request_timeout_s);
  o.stream_read_timeout = std::chrono::seconds(c.stream_read_timeout_s);
  return o;
}

http::server_options server_settings(const core::serve_config& c) {
  http::server_options o;
  o.host = c.listen_parsed.host;
  o.port = c.listen_parsed.port;
  o.max_connections = c.max_connections;
  o.max_body_bytes = c.max_body_bytes;
  o.max_header_bytes = c.max_header_bytes;
  o.header_timeout = std::chrono::seconds(c.header_timeout_s);
  o.idle_timeout = std::chrono::seconds(c.idle_timeout_s);
  o.send_buffer_bytes = c.send_buffer_bytes;
  o.unsent_limit_bytes = c.unsent_limit_bytes;
  o.write_timeout = std::chrono::seconds(c.write_timeout_s);
  o.max_connections_per_client = c.max_connections_per_client;
  o.connections_come_through_proxy = c.trust_proxy;
  o.min_file_send_rate = c.min_send_rate;
  o.name = "serenade";
  return o;
}

http::server_options metrics_server_settings(const core::serve_config& c) {
  auto o = server_settings(c);
  o.host = c.metrics_listen_parsed.host;
  o.port = c.metrics_listen_parsed.port;
  o.max_connections = std::min<std::size_t>(o.max_connections, 64);
  o.name = "metrics";
  return o;
}

live::hub_options hub_settings(const core::serve_config& c) {
  live::hub_options o;
  o.capture_dir = c.capture_dir;
  o.archive_dir = c.archive_dir;
  o.max_capture_bytes = c.max_song_bytes;
  o.ready_grace = std::chrono::seconds(c.stream_ready_grace_s);
  o.wake.min_bytes = c.live_wake_bytes;
  o.wake.max_delay = std::chrono::milliseconds(c.live_wake_ms);
  return o;
}

lifecycle::finaliser_options finaliser_settings(const core::serve_config& c) {
  lifecycle::finaliser_options o;
  o.archive_dir = c.archive_dir;
  o.first_backoff = std::chrono::milliseconds(std::max(1u, c.final_retry_ms));
  o.max_song_bytes = c.max_song_bytes;
  o.max_attempts = static_cast<int>(c.final_retry_limit);
  return o;
}

lifecycle::lifecycle_options lifecycle_settings(const core::serve_config& c) {
  lifecycle::lifecycle_options o;
  o.poll_interval = std::chrono::milliseconds(c.poll_interval_ms);
  o.poll_interval_with_webhooks = std::chrono::milliseconds(c.webhook_poll_interval_ms);
  o.stall_timeout = std::chrono::seconds(c.stall_timeout_s);
  o.public_url = c.public_url;
  o.guards = {c.submit_burst, c.submits_per_hour, c.daily_budget, c.max_generating, c.client_daily_limit,
              c.network_daily_limit};
  return o;
}

}  // namespace serenade::app
