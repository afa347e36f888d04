#pragma once
// A submission is one person's request for one song, from the form to the finished file.
//
// Status values are Sonauto's own task states (RECEIVED … GENERATING_STREAMING_READY … SUCCESS | FAILURE),
// recorded as the poller or webhook sees them. streaming_ready_at is set once, the first time the task is
// seen at GENERATING_STREAMING_READY or later; completed_at is set once, at SUCCESS or FAILURE.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace serenade::store {

using clock = std::chrono::system_clock;
using time_point = std::chrono::time_point<clock, std::chrono::milliseconds>;

// The song's final file as the archive holds it.
struct archived_song {
  std::string source;          // "cdn" (verified final copy from song_paths) or "live" (complete live capture)
  std::uint64_t size = 0;      // bytes
  std::string sha256;          // lowercase hex
  std::int64_t duration_ms = 0;
  time_point archived_at{};

  friend bool operator==(const archived_song&, const archived_song&) = default;
};

struct submission {
  std::string session_id;  // 128-bit random, base64url (core/ids)
  time_point created_at{};
  std::string sender;
  std::string recipient;
  std::string story;
  std::string style;
  std::string prompt;                  // exactly what was sent to Sonauto
  std::optional<std::string> task_id;  // Sonauto's task id, once the generation is created
  std::string status;                  // latest known Sonauto status
  std::optional<time_point> streaming_ready_at;
  std::optional<time_point> completed_at;
  std::optional<std::string> error;  // human-readable reason when the song failed
  time_point updated_at{};
  std::optional<archived_song> archive;  // set once the song's final file is in place
  // From the request's Idempotency-Key header: a repeat of the same key by the same client is this submission, not
  // a new one. Keys are scoped by client_key (lifecycle/guards client_key), so two clients may use the same key.
  // Set both or neither: a key without a client is refused by the store.
  std::optional<std::string> idempotency_key;
  std::optional<std::string> client_key;
  // What the music model wrote for the song (record_lyrics): unset / empty until then, and again after a restart.
  std::optional<std::string> lyrics;
  std::vector<std::string> tags;
  // Generations run for this session: 1 for the first, plus one per restart_generation after a failure.
  int attempts = 1;
  // The person's own lyrics, sent with the prompt; unset when Sonauto writes them.
  std::optional<std::string> own_lyrics;
  // Which instance does the song's background work (following, capture, finalisation), and until when its lease
  // holds unless renewed (the database's clock). Unset: nobody; anyone may claim it.
  std::optional<std::string> owner;
  std::optional<time_point> lease_until;
  // Where the owner serves the song's stream to other instances (its base URL); unset or empty when unknown.
  std::optional<std::string> owner_url;
  // Set when the person who made the song took it back (erase): the row is a tombstone, without the story, the
  // names, the lyrics or the files, so the link can say the song is gone.
  std::optional<time_point> deleted_at;
};

// A change observed on the upstream task. Fields left empty are not touched; streaming_ready_at and
// completed_at are only written when still unset, so a repeated or late update never moves them.
struct status_update {
  std::string status;
  std::optional<time_point> streaming_ready_at;
  std::optional<time_point> completed_at;
  std::optional<std::string> error;
};

inline time_point now() { return std::chrono::time_point_cast<std::chrono::milliseconds>(clock::now()); }

}  // namespace serenade::store
