#include "core/config.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <thread>

namespace serenade::core {

std::optional<listen_address> parse_listen_address(std::string_view text) {
  listen_address out;
  std::string_view port_text;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty() || port_text.empty()) return std::nullopt;
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) return std::nullopt;
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

void add_serve_options(CLI::App& cmd, serve_config& c) {
  const auto text = [&](const char* flag, std::string& value, const char* env, const char* help) {
    cmd.add_option(flag, value, help)->envname(env)->capture_default_str();
  };
  const auto number = [&](const char* flag, auto& value, const char* env, const char* help) {
    cmd.add_option(flag, value, help)->envname(env)->capture_default_str()->check(CLI::NonNegativeNumber);
  };
  text("--listen", c.listen, "SERENADE_LISTEN", "Address to serve HTTP on, host:port");
  text("--metrics-listen", c.metrics_listen, "SERENADE_METRICS_LISTEN",
       "Address to serve /metrics on instead of --listen, host:port (empty: on --listen)");
  text("--database", c.database_url, "DATABASE_URL", "Database URL: sqlite:///relative.db or sqlite:////absolute.db");
  text("--archive-dir", c.archive_dir, "SERENADE_ARCHIVE_DIR",
       "Folder for archived songs; several instances may share it (NFS, CephFS) when each has its own --capture-dir");
  text("--capture-dir", c.capture_dir, "SERENADE_CAPTURE_DIR",
       "Folder for the songs this instance is capturing, on its own local disk (default: the archive folder)");
  text("--public-url", c.public_url, "SERENADE_PUBLIC_URL",
       "Public base URL of this server (enables Sonauto webhooks), e.g. https://serenade.example");
  text("--advertise-url", c.advertise_url, "SERENADE_ADVERTISE_URL",
       "With a shared (PostgreSQL) database: the base URL other instances reach this one at, e.g. "
       "http://10.0.0.5:8080, to relay its songs to their listeners (default: http://<--listen> when that is not a "
       "wildcard address)");
  text("--log-level", c.log_level, "SERENADE_LOG_LEVEL", "trace, debug, info, warn, error or off");
  text("--web-dir", c.web_dir, "SERENADE_WEB_DIR", "Folder of the web front end (default: the built-in one)");
  number("--threads", c.threads, "SERENADE_THREADS", "I/O threads (0: one per core)");
  cmd.add_option("--sonauto-api-key", c.sonauto_api_key,
                 "Sonauto API key; prefer the environment variable, flags are visible to other local users. "
                 "Without a key the built-in simulator is used")
      ->envname("SONAUTO_API_KEY");
  text("--sonauto-api-base", c.sonauto_api_base, "SONAUTO_API_BASE", "Sonauto REST base URL");
  text("--sonauto-stream-base", c.sonauto_stream_base, "SONAUTO_STREAM_BASE", "Sonauto stream base URL");
  number("--connect-timeout", c.connect_timeout_s, "SERENADE_CONNECT_TIMEOUT",
         "Seconds to connect to Sonauto (TCP and TLS)");
  number("--request-timeout", c.request_timeout_s, "SERENADE_REQUEST_TIMEOUT", "Seconds for a Sonauto REST call");
  number("--stream-start-timeout", c.stream_start_timeout_s, "SERENADE_STREAM_START_TIMEOUT",
         "Seconds to wait for Sonauto's stream to answer before a listener gets 504");
  number("--stream-ready-grace", c.stream_ready_grace_s, "SERENADE_STREAM_READY_GRACE",
         "Seconds after a song becomes stream-ready during which Sonauto's stream may still answer 'not ready'");
  number("--stream-read-timeout", c.stream_read_timeout_s, "SERENADE_STREAM_READ_TIMEOUT",
         "Seconds of silence on Sonauto's stream before it is treated as failed");
  number("--poll-interval-ms", c.poll_interval_ms, "SERENADE_POLL_INTERVAL_MS",
         "Milliseconds between status checks of an unfinished song");
  number("--webhook-poll-interval-ms", c.webhook_poll_interval_ms, "SERENADE_WEBHOOK_POLL_INTERVAL_MS",
         "Milliseconds between fallback status checks once webhooks arrive for a song");
  number("--credits-check-interval", c.credits_check_s, "SERENADE_CREDITS_CHECK_INTERVAL",
         "Seconds between checks of Sonauto's credit balance (0: never); new songs get 503 once it cannot pay for one");
  number("--credits-warn-below", c.credits_warn_below, "SERENADE_CREDITS_WARN_BELOW",
         "Credits below which each balance check logs a warning (a song costs 100)");
  number("--events-heartbeat-ms", c.events_heartbeat_ms, "SERENADE_EVENTS_HEARTBEAT_MS",
         "Milliseconds between heartbeat comments on a quiet status-event stream");
  number("--stall-timeout", c.stall_timeout_s, "SERENADE_STALL_TIMEOUT",
         "Seconds without any status change after which a song is failed as timed out");
  cmd.add_option("--webhook-token", c.webhook_token,
                 "Secret in the webhook URL (default: a random one, kept in the archive folder)")
      ->envname("SERENADE_WEBHOOK_TOKEN");
  number("--final-retry-ms", c.final_retry_ms, "SERENADE_FINAL_RETRY_MS",
         "Milliseconds before a failed final-copy download is tried again (doubling, at most 60 s)");
  number("--final-retry-limit", c.final_retry_limit, "SERENADE_FINAL_RETRY_LIMIT",
         "Failed final-copy downloads after which the song keeps its live copy for good (a 404 or 410: at once)");
  number("--max-connections", c.max_connections, "SERENADE_MAX_CONNECTIONS", "Concurrent client connections");
  number("--max-body-bytes", c.max_body_bytes, "SERENADE_MAX_BODY_BYTES", "Largest request body accepted");
  number("--max-header-bytes", c.max_header_bytes, "SERENADE_MAX_HEADER_BYTES", "Largest request header accepted");
  number("--header-timeout", c.header_timeout_s, "SERENADE_HEADER_TIMEOUT",
         "Seconds a client has to send a request's header and body");
  number("--idle-timeout", c.idle_timeout_s, "SERENADE_IDLE_TIMEOUT", "Seconds a keep-alive connection may idle");
  number("--write-timeout", c.write_timeout_s, "SERENADE_WRITE_TIMEOUT",
         "Seconds a client may accept no bytes before it is disconnected");
  number("--send-buffer-bytes", c.send_buffer_bytes, "SERENADE_SEND_BUFFER_BYTES",
         "Kernel send buffer of a connection sent a finished song longer than this (0: the kernel's autotuning)");
  number("--unsent-limit-bytes", c.unsent_limit_bytes, "SERENADE_UNSENT_LIMIT_BYTES",
         "Bytes a connection may keep queued in the kernel before they are sent (0: the kernel's default, no limit)");
  number("--max-connections-per-client", c.max_connections_per_client, "SERENADE_MAX_CONNECTIONS_PER_CLIENT",
         "Connections one client (IPv4 address, IPv6 /64) may hold at once; beyond: 429 (0: no cap)");
  number("--max-streams-per-client", c.max_streams_per_client, "SERENADE_MAX_STREAMS_PER_CLIENT",
         "Live listeners and status-event streams one client may hold at once; beyond: 429 (0: no cap)");
  number("--min-send-rate", c.min_send_rate, "SERENADE_MIN_SEND_RATE",
         "Bytes per second a finished-song answer must average, after --write-timeout of slack (0: no deadline)");
  number("--max-song-bytes", c.max_song_bytes, "SERENADE_MAX_SONG_BYTES",
         "Largest song kept: a live capture or final copy growing beyond it is abandoned");
  number("--live-wake-bytes", c.live_wake_bytes, "SERENADE_LIVE_WAKE_BYTES",
         "New bytes of a live song that wake its listeners at once (1 wakes them on every piece)");
  number("--live-wake-ms", c.live_wake_ms, "SERENADE_LIVE_WAKE_MS",
         "Milliseconds at most between a live song's new bytes and its listeners being woken for them");
  number("--shutdown-grace", c.shutdown_grace_s, "SERENADE_SHUTDOWN_GRACE",
         "Seconds running streams may finish after SIGTERM/SIGINT");
  number("--drain-seconds", c.drain_s, "SERENADE_DRAIN_SECONDS",
         "Seconds after SIGTERM/SIGINT during which /readyz answers 503 while everything is still served, so a load "
         "balancer stops sending new requests before the listener closes (0: close at once)");
  number("--lease-seconds", c.lease_s, "SERENADE_LEASE_SECONDS",
         "With a shared (PostgreSQL) database: seconds an instance holds a song's work without renewing; another "
         "instance takes over a song this long after its owner died");
  number("--memory-release-after", c.memory_release_after, "SERENADE_MEMORY_RELEASE_AFTER",
         "Connections closed since their peak before freed memory is handed back to the system (0: never)");
  number("--memory-check-interval-ms", c.memory_check_interval_ms, "SERENADE_MEMORY_CHECK_INTERVAL_MS",
         "Milliseconds between checks of whether freed memory should be handed back");
  cmd.add_flag("--trust-proxy", c.trust_proxy,
               "Take the client's address from the first X-Forwarded-For hop (only behind a proxy that replaces "
               "that header, never one that appends to it)")
      ->envname("SERENADE_TRUST_PROXY")
      ->capture_default_str();
  number("--submit-burst", c.submit_burst, "SERENADE_SUBMIT_BURST",
         "Submissions one client may make in a row before it must wait (0: no per-client limit)");
  number("--submits-per-hour", c.submits_per_hour, "SERENADE_SUBMITS_PER_HOUR",
         "Rate at which a client's submissions refill (0: no per-client limit)");
  number("--daily-budget", c.daily_budget, "SERENADE_DAILY_BUDGET",
         "Generations started per UTC day, across all clients (0: no limit)");
  number("--max-generating", c.max_generating, "SERENADE_MAX_GENERATING",
         "Songs generating at once (0: no limit)");
  number("--client-daily-limit", c.client_daily_limit, "SERENADE_CLIENT_DAILY_LIMIT",
         "Generations one client (IPv4 address, IPv6 /64) may start per UTC day (0: no limit)");
  number("--network-daily-limit", c.network_daily_limit, "SERENADE_NETWORK_DAILY_LIMIT",
         "Generations one network (IPv4 /24, IPv6 /48) may start per UTC day (0: no limit)");
}

std::optional<std::string> webhook_token_weakness(std::string_view token) {
  constexpr std::size_t shortest = 32;
  constexpr std::size_t fewest_distinct = 10;
  const auto is_url_safe = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
  };
  if (!std::all_of(token.begin(), token.end(), is_url_safe)) {
    return std::string("may only hold the characters A-Z a-z 0-9 - . _ ~ (it is part of a URL path)");
  }
  if (token.size() < shortest) {
    return "is " + std::to_string(token.size()) + " characters long; it needs at least " + std::to_string(shortest);
  }
  const std::set<char> distinct(token.begin(), token.end());
  if (distinct.size() < fewest_distinct) {
    return "has " + std::to_string(distinct.size()) + " different characters; it needs at least " +
           std::to_string(fewest_distinct);
  }
  const auto has = [&](auto is_kind) { return std::any_of(token.begin(), token.end(), is_kind) ? 1 : 0; };
  const int kinds = has([](char c) { return std::isupper(static_cast<unsigned char>(c)); }) +
                    has([](char c) { return std::islower(static_cast<unsigned char>(c)); }) +
                    has([](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) +
                    has([](char c) { return c == '-' || c == '.' || c == '_' || c == '~'; });
  if (kinds < 2) return std::string("uses one kind of character only; mix letters, digits or - . _ ~");
  return std::nullopt;
}

std::optional<std::string> validate(serve_config& c) {
  auto listen = parse_listen_address(c.listen);
  if (!listen) return "--listen / SERENADE_LISTEN must be host:port, got '" + c.listen + "'";
  c.listen_parsed = *listen;
  if (!c.metrics_listen.empty()) {
    auto metrics_listen = parse_listen_address(c.metrics_listen);
    if (!metrics_listen) {
      return "--metrics-listen / SERENADE_METRICS_LISTEN must be host:port, got '" + c.metrics_listen + "'";
    }
    c.metrics_listen_parsed = *metrics_listen;
  }
  if (c.capture_dir.empty()) c.capture_dir = c.archive_dir;
  if (c.threads == 0) c.threads = std::max(1u, std::thread::hardware_concurrency());
  if (c.threads > 256) return "--threads must be at most 256";
  if (c.max_connections == 0) return "--max-connections must be at least 1";
  if (c.max_header_bytes < 1024) return "--max-header-bytes must be at least 1024";
  if (c.connect_timeout_s == 0 || c.request_timeout_s == 0 || c.stream_start_timeout_s == 0 ||
      c.stream_read_timeout_s == 0 || c.header_timeout_s == 0 || c.idle_timeout_s == 0 || c.write_timeout_s == 0) {
    return "timeouts must be at least 1 second";
  }
  if (c.poll_interval_ms < 100) return "--poll-interval-ms must be at least 100";
  if (c.send_buffer_bytes != 0 && (c.send_buffer_bytes < 4096 || c.send_buffer_bytes > 64u * 1024 * 1024)) {
    return "--send-buffer-bytes must be 0 or between 4096 and 67108864";
  }
  if (c.unsent_limit_bytes != 0 && (c.unsent_limit_bytes < 4096 || c.unsent_limit_bytes > 64u * 1024 * 1024)) {
    return "--unsent-limit-bytes must be 0 or between 4096 and 67108864";
  }
  if (c.max_song_bytes < 1024 * 1024) return "--max-song-bytes must be at least 1048576";
  if (c.live_wake_bytes == 0 || c.live_wake_bytes > 256u * 1024) {
    return "--live-wake-bytes must be between 1 and 262144";
  }
  // A listener at the live edge has little audio buffered: a longer wait could stall its player.
  if (c.live_wake_ms > 500) return "--live-wake-ms must be at most 500";
  if (c.lease_s < 3 || c.lease_s > 3600) return "--lease-seconds must be between 3 and 3600";
  if (c.memory_check_interval_ms < 100) return "--memory-check-interval-ms must be at least 100";
  if (c.webhook_poll_interval_ms < 100) return "--webhook-poll-interval-ms must be at least 100";
  if (c.events_heartbeat_ms < 100) return "--events-heartbeat-ms must be at least 100";
  if (c.stall_timeout_s == 0) return "--stall-timeout must be at least 1 second";
  if (!c.webhook_token.empty()) {
    if (auto weakness = webhook_token_weakness(c.webhook_token)) {
      // The token itself is a secret: the message says what is wrong with it, never what it is.
      return "--webhook-token / SERENADE_WEBHOOK_TOKEN is too weak: it " + *weakness +
             " (leave it unset for a random one kept in the archive folder)";
    }
  }
  if (c.final_retry_limit == 0 || c.final_retry_limit > 1000) return "--final-retry-limit must be between 1 and 1000";
  const auto is_http_url = [](const std::string& url) {
    return url.starts_with("http://") || url.starts_with("https://");
  };
  if (!c.sonauto_api_key.empty()) {
    if (!is_http_url(c.sonauto_api_base)) return "SONAUTO_API_BASE must be an http:// or https:// URL";
    if (!is_http_url(c.sonauto_stream_base)) return "SONAUTO_STREAM_BASE must be an http:// or https:// URL";
  }
  const auto has_host = [&](const std::string& url) {
    const auto host_start = url.find("://");
    return is_http_url(url) && host_start != std::string::npos && host_start + 3 < url.size() &&
           url[host_start + 3] != '/';
  };
  if (!c.public_url.empty() && !has_host(c.public_url)) {
    return "SERENADE_PUBLIC_URL must be an http(s):// URL with a host, e.g. https://serenade.example";
  }
  while (c.public_url.ends_with('/')) c.public_url.pop_back();
  if (!c.advertise_url.empty() && !has_host(c.advertise_url)) {
    return "SERENADE_ADVERTISE_URL must be an http(s):// URL with a host, e.g. http://10.0.0.5:8080";
  }
  while (c.advertise_url.ends_with('/')) c.advertise_url.pop_back();
  return std::nullopt;
}

}  // namespace serenade::core
