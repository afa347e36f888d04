#pragma once
// Serenade's configuration: every setting comes from the environment (seed-compatible names such as
// SONAUTO_API_KEY and DATABASE_URL) and can be overridden by a command-line flag of the same meaning.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace serenade::core {

struct listen_address {
  std::string host;
  std::uint16_t port = 0;
};

// "host:port", "[v6]:port"; port 0 means "pick a free one" (tests). nullopt for anything else.
std::optional<listen_address> parse_listen_address(std::string_view text);

struct serve_config {
  std::string listen = "127.0.0.1:8080";
  std::string metrics_listen;  // empty: /metrics is answered on `listen`; else only on this address
  std::string database_url = "sqlite:///./var/serenade.db";
  std::string archive_dir = "./var/archive";  // may be shared by several instances (NFS, CephFS)
  std::string capture_dir;                    // this instance's own; empty: archive_dir (filled by validate())
  std::string public_url;
  std::string log_level = "info";
  std::string web_dir;  // empty: the web/ folder of the source tree this binary was built from
  unsigned threads = 0;  // 0: one per core

  std::string sonauto_api_key;  // empty: run the built-in simulator
  std::string sonauto_api_base = "https://api.sonauto.ai/v1";
  std::string sonauto_stream_base = "https://api-stream.sonauto.ai";
  unsigned connect_timeout_s = 30;
  unsigned request_timeout_s = 30;
  unsigned stream_start_timeout_s = 20;
  unsigned stream_ready_grace_s = 15;  // "not ready" from the stream is retried this long after readiness
  unsigned stream_read_timeout_s = 600;
  unsigned poll_interval_ms = 1500;
  unsigned webhook_poll_interval_ms = 15000;  // fallback polling once webhooks arrive for a song
  unsigned stall_timeout_s = 600;             // no status change for this long: the song is failed
  unsigned credits_check_s = 300;             // between checks of Sonauto's credit balance (0: never)
  unsigned credits_warn_below = 2000;         // credits_low is logged while the balance is below this
  unsigned events_heartbeat_ms = 15000;       // comment line on quiet status-event streams
  std::string webhook_token;                  // empty: a random one, persisted under the archive folder
  unsigned final_retry_ms = 1000;  // first pause before fetching a final copy again (doubles, capped at 60 s)
  unsigned final_retry_limit = 20;  // failed fetches of a final copy before it is given up (404/410: at once)

  unsigned max_connections = 10000;
  unsigned max_body_bytes = 64 * 1024;
  unsigned max_header_bytes = 16 * 1024;
  unsigned header_timeout_s = 10;
  unsigned idle_timeout_s = 60;
  unsigned write_timeout_s = 60;
  unsigned send_buffer_bytes = 128 * 1024;  // SO_SNDBUF for file answers longer than this; 0: autotuning
  unsigned unsent_limit_bytes = 128 * 1024;  // TCP_NOTSENT_LOWAT of every connection; 0: the kernel's default
  unsigned max_connections_per_client = 64;  // an IPv4 address or IPv6 /64; not applied behind a trusted proxy
  unsigned max_streams_per_client = 16;      // live listeners and status-event streams, behind a proxy too
  unsigned min_send_rate = 4096;             // bytes/s a finished-song answer must average; 0: no deadline
  std::uint64_t max_song_bytes = 64ull * 1024 * 1024;  // a capture or final copy beyond this is refused
  unsigned live_wake_bytes = 16 * 1024;  // live listeners are woken once this much is new …
  unsigned live_wake_ms = 100;           // … or this long after the first new byte (live/wake_coalescer.hpp)
  unsigned shutdown_grace_s = 10;
  std::string advertise_url;  // where other instances reach this one (shared database only)
  unsigned lease_s = 15;  // a song's lease (shared database only)
  unsigned drain_s = 0;  // not ready, still serving, before the shutdown proper
  unsigned memory_release_after = 1000;   // connections closed since the peak before freed memory is released
  unsigned memory_check_interval_ms = 10000;

  // Guards on paid generations (lifecycle/guards); 0 disables a limit.
  bool trust_proxy = false;        // client = first X-Forwarded-For hop instead of the remote address
  unsigned submit_burst = 5;       // submissions a client may make at once …
  unsigned submits_per_hour = 10;  // … refilled at this rate
  unsigned daily_budget = 500;     // generations started per UTC day
  unsigned max_generating = 50;    // songs generating at once
  unsigned client_daily_limit = 20;   // generations per client (IPv4 address, IPv6 /64) and UTC day
  unsigned network_daily_limit = 50;  // generations per network (IPv4 /24, IPv6 /48) and UTC day

  listen_address listen_parsed;          // filled by validate()
  listen_address metrics_listen_parsed;  // filled by validate() when metrics_listen is set
};

// Registers the serve options on a CLI11 (sub)command, each with its environment variable.
void add_serve_options(CLI::App& command, serve_config& config);

// Why a webhook token is too easy to guess or cannot stand in a URL path, or nullopt when it is fit: it must be
// at least 32 characters from A-Z a-z 0-9 - . _ ~, with at least 10 different ones of at least two kinds
// (upper case, lower case, digits, punctuation). The token is all that authenticates a webhook.
std::optional<std::string> webhook_token_weakness(std::string_view token);

// Checks values that CLI11 cannot (formats, ranges); returns a message for the first problem.
std::optional<std::string> validate(serve_config& config);

}  // namespace serenade::core
