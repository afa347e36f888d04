#pragma once
// The one storage interface the rest of Serenade sees. Implementations are synchronous and
// thread-safe; callers on I/O threads reach them through core/blocking_pool, never directly.
#include "store/submission.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace serenade::store {

class shared_limits;

struct store_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The database cannot be reached (a PostgreSQL server restarting, a network split): the call may succeed later, and
// a request that needed it is answered 503.
struct store_unavailable : store_error {
  using store_error::store_error;
};

// An insert that would repeat a unique value: the session id, the task id or a client's idempotency key. For the
// idempotency key this is the expected outcome of a race between two repeats, so the caller then looks the
// winner up with find_by_idempotency_key.
struct duplicate_key : store_error {
  using store_error::store_error;
};

class submission_store {
 public:
  virtual ~submission_store() = default;

  // Throws duplicate_key when the session id, the task id or the (client_key, idempotency_key) pair already
  // exists; store_error for an idempotency key without a client key.
  virtual void insert(const submission& s) = 0;
  virtual std::optional<submission> find(std::string_view session_id) = 0;
  virtual std::optional<submission> find_by_task(std::string_view task_id) = 0;
  virtual std::optional<submission> find_by_idempotency_key(std::string_view client_key,
                                                            std::string_view idempotency_key) = 0;
  // How many submissions were created at or after since, with a task id or with their create unconfirmed (it may
  // have made a generation): what the daily budget had already spent before a restart.
  virtual std::uint64_t count_created_since(time_point since) = 0;
  // Applies an upstream status change (see status_update). Returns false when the session is unknown.
  virtual bool record_status(std::string_view session_id, const status_update& update) = 0;
  // Submissions with a task id whose generation has not ended (no completed_at): what a restart must resume.
  virtual std::vector<submission> unfinished() = 0;
  // Records (or replaces, e.g. a "live" copy by the verified "cdn" copy) the archived file of a song. False for an
  // unknown session. A "live" copy never replaces a "cdn" one: the call then keeps the "cdn" record and returns true.
  // Throws store_error for a source other than "cdn"/"live" or a size beyond 2^63-1.
  virtual bool record_archive(std::string_view session_id, const archived_song& song) = 0;
  // Submissions whose generation succeeded but whose archive is missing or only "live": what finalisation must
  // (re)try. Oldest first (created_at, then session_id), like unfinished().
  virtual std::vector<submission> awaiting_final_copy() = 0;
  // Takes a succeeded song off awaiting_final_copy() for good (its CDN copy is gone, or kept failing); the first
  // time given is kept, and a retry of the song clears it. False for an unknown session.
  virtual bool give_up_final_copy(std::string_view session_id, time_point at) = 0;
  // Records the lyrics and tags the music model wrote for the song, replacing any earlier ones, and sets updated_at.
  // False for an unknown session.
  virtual bool record_lyrics(std::string_view session_id, const std::string& lyrics,
                             const std::vector<std::string>& tags) = 0;
  // Retries a failed song under the same session id, so its share link keeps working: only when the status is
  // "FAILURE", sets the task id to new_task_id and the status to "RECEIVED", clears streaming_ready_at,
  // completed_at, error, lyrics, tags and the archive, adds one to attempts and sets updated_at to now. The row is
  // then unfinished() again. False, changing nothing, for an unknown session or a status other than "FAILURE".
  // Throws duplicate_key when new_task_id is already another submission's task id.
  // Its lease is given back, so that the instance that took the retry can take it.
  virtual bool restart_generation(std::string_view session_id, std::string_view new_task_id, time_point now) = 0;
  // A create whose answer was lost leaves a row without a task id (insert one): the generation may exist upstream.
  // Such rows not yet given up on, oldest first: what a restart must keep waiting for.
  virtual std::vector<submission> unconfirmed() = 0;
  // A webhook told which task a create without an answer made: sets the task id, status "RECEIVED", clears
  // completed_at and error (a song given up on comes back) and sets updated_at. Only a row without a task id is
  // touched; false, changing nothing, otherwise or for an unknown session. Throws duplicate_key when task_id is
  // another submission's.
  // A confirmed song's lease is given back, so that the instance the webhook reached can take it.
  virtual bool confirm_task(std::string_view session_id, std::string_view task_id, time_point now) = 0;
  // No webhook told the task in time: the row without a task id fails (status "FAILURE", completed_at, error).
  // False, changing nothing, when it has a task id by now, was already given up on, or is unknown.
  virtual bool give_up_unconfirmed(std::string_view session_id, const std::string& error, time_point at) = 0;
  // The person who made the song takes it back: the story, the names, the prompt, the lyrics, the error, the
  // idempotency key and the archive record are erased; the row stays as a tombstone (deleted_at = at) with no work
  // left (completed, its final copy given up), and no later write changes it (status, lyrics, archive, retry,
  // confirmation, lease). False, changing nothing, for an unknown session or one erased before.
  virtual bool erase(std::string_view session_id, time_point at) = 0;
  // Leases: one instance at a time does a song's background work. Times are the database's clock, never an
  // instance's, so machines whose clocks differ cannot both hold a lease.
  // Takes (or renews) the song's lease for `owner` for `lease` from now: when nobody holds it, `owner` already does,
  // or the holder's lease has run out. False, changing nothing, when another instance holds it, or the session is
  // unknown.
  // `owner_url` is where the owner serves the song to other instances (recorded with the lease).
  virtual bool claim(std::string_view session_id, std::string_view owner, std::string_view owner_url,
                     std::chrono::milliseconds lease) = 0;
  // Extends every lease `owner` holds on a song with work left to `lease` from now; how many. A song whose work
  // ended keeps its owner until the lease runs out, so a retry can take it at once or a little later.
  virtual std::uint64_t renew_leases(std::string_view owner, std::chrono::milliseconds lease) = 0;
  // Gives the song's lease back, when `owner` holds it; false otherwise.
  virtual bool release(std::string_view session_id, std::string_view owner) = 0;
  // Gives back every lease `owner` holds (an instance stopping); how many.
  virtual std::uint64_t release_all(std::string_view owner) = 0;
  // Songs with background work left (unfinished, unconfirmed, or succeeded without their final copy) that nobody
  // holds a live lease on: what an instance takes over. Oldest first.
  virtual std::vector<submission> unowned_work() = 0;
  // Whether other processes may share the database (so leases decide who does a song's work), or this process
  // has it alone (an embedded file: it does every song's work).
  virtual bool shared() const = 0;
  // The guards kept where every process sharing the database sees them (store/shared_limits.hpp), or null when
  // this process has the database alone and keeps them in its own memory.
  virtual shared_limits* limits() { return nullptr; }
  // The schema version after migrations, for diagnostics and tests.
  virtual int schema_version() = 0;
};

// Opens the store named by a DATABASE_URL and applies pending migrations.
//   sqlite:///relative/path.db   (relative to the working directory, e.g. sqlite:///./var/serenade.db)
//   sqlite:////absolute/path.db
//   sqlite://:memory:            (tests)
//   postgresql://user@host/db or postgres://…   (several instances sharing one database; any libpq URL)
// Throws store_error with a readable message for unknown schemes, when the database cannot be opened or reached,
// or when its schema is newer than this Serenade.
std::unique_ptr<submission_store> open_store(std::string_view database_url);
bool is_postgres_url(std::string_view database_url);

}  // namespace serenade::store
