#include "store/migrations.hpp"

#include "store/sqlite_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

namespace serenade::store {

namespace {

// Times are unix milliseconds. The partial index holds exactly the rows unfinished() returns, in its
// order, so a restart's resume query never scans finished songs.
constexpr const char* schema_v1 = R"sql(
CREATE TABLE submissions (
  session_id         TEXT PRIMARY KEY NOT NULL,
  created_at         INTEGER NOT NULL,
  sender             TEXT NOT NULL,
  recipient          TEXT NOT NULL,
  story              TEXT NOT NULL,
  style              TEXT NOT NULL,
  prompt             TEXT NOT NULL,
  task_id            TEXT,
  status             TEXT NOT NULL,
  streaming_ready_at INTEGER,
  completed_at       INTEGER,
  error              TEXT,
  updated_at         INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX submissions_task_id ON submissions (task_id);
CREATE INDEX submissions_unfinished ON submissions (created_at, session_id)
  WHERE task_id IS NOT NULL AND completed_at IS NULL;
)sql";

// What the archive knows about a finished song. All five columns are NULL until record_archive; existing rows
// keep them NULL. The partial index holds exactly the rows awaiting_final_copy() returns, in its order.
constexpr const char* schema_v2 = R"sql(
ALTER TABLE submissions ADD COLUMN archive_source TEXT CHECK (archive_source IN ('cdn', 'live'));
ALTER TABLE submissions ADD COLUMN archive_size INTEGER;
ALTER TABLE submissions ADD COLUMN archive_sha256 TEXT;
ALTER TABLE submissions ADD COLUMN archive_duration_ms INTEGER;
ALTER TABLE submissions ADD COLUMN archived_at INTEGER;
CREATE INDEX submissions_awaiting_final_copy ON submissions (created_at, session_id)
  WHERE status = 'SUCCESS' AND (archive_source IS NULL OR archive_source = 'live');
)sql";

// Idempotent submit: a repeated Idempotency-Key from the same client finds the first submission. The unique index
// is the backstop when two repeats race; it holds only rows with a key (and is what find_by_idempotency_key uses).
// The CHECK keeps a key from being stored without its client, where NULL would make it escape uniqueness.
constexpr const char* schema_v3 = R"sql(
ALTER TABLE submissions ADD COLUMN client_key TEXT;
ALTER TABLE submissions ADD COLUMN idempotency_key TEXT CHECK (idempotency_key IS NULL OR client_key IS NOT NULL);
CREATE UNIQUE INDEX submissions_idempotency ON submissions (client_key, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
)sql";

// What the music model wrote (record_lyrics) and how many generations a session has run (restart_generation retries
// a failed song under the same session id). tags is a JSON array of strings; existing rows get no lyrics, no tags
// and one attempt. The CASE keeps json_type from raising "malformed JSON" for a value that is not JSON at all.
constexpr const char* schema_v4 = R"sql(
ALTER TABLE submissions ADD COLUMN lyrics TEXT;
ALTER TABLE submissions ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'
  CHECK (CASE WHEN json_valid(tags) THEN json_type(tags) = 'array' ELSE 0 END);
ALTER TABLE submissions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1);
)sql";

// A song whose CDN copy is gone (404/410) or kept failing is given up on: it keeps its live copy, if any, and
// leaves awaiting_final_copy(), so that no restart fetches it again. The partial index follows the new WHERE.
constexpr const char* schema_v5 = R"sql(
ALTER TABLE submissions ADD COLUMN final_copy_given_up_at INTEGER;
DROP INDEX submissions_awaiting_final_copy;
CREATE INDEX submissions_awaiting_final_copy ON submissions (created_at, session_id)
  WHERE status = 'SUCCESS' AND (archive_source IS NULL OR archive_source = 'live')
    AND final_copy_given_up_at IS NULL;
)sql";

// The person's own lyrics ("write the lyrics yourself"), sent to Sonauto with the prompt; NULL when Sonauto writes
// them. Kept for a retry, which sends them again.
constexpr const char* schema_v6 = R"sql(
ALTER TABLE submissions ADD COLUMN own_lyrics TEXT;
)sql";

// A create whose answer was lost is stored without a task id until a webhook tells it (confirm_task) or it is given
// up on; the partial index holds exactly the rows unconfirmed() returns, in its order.
constexpr const char* schema_v7 = R"sql(
CREATE INDEX submissions_unconfirmed ON submissions (created_at, session_id)
  WHERE task_id IS NULL AND completed_at IS NULL;
)sql";

// Leases (store::submission_store::claim): which instance does a song's background work, and until when. The partial
// index holds the rows that may have work left, so unowned_work() never scans finished songs.
constexpr const char* schema_v8 = R"sql(
ALTER TABLE submissions ADD COLUMN owner TEXT;
ALTER TABLE submissions ADD COLUMN lease_until INTEGER;
ALTER TABLE submissions ADD COLUMN owner_url TEXT;
CREATE INDEX submissions_work ON submissions (created_at, session_id)
  WHERE completed_at IS NULL OR (status = 'SUCCESS' AND (archive_source IS NULL OR archive_source = 'live')
    AND final_copy_given_up_at IS NULL);
)sql";

// Tombstones of songs their maker took back (submission_store::erase).
constexpr const char* schema_v9 = R"sql(
ALTER TABLE submissions ADD COLUMN deleted_at INTEGER;
)sql";

constexpr migration all_migrations[] = {
    {1, schema_v1},
    {2, schema_v2},
    {3, schema_v3},
    {4, schema_v4},
    {5, schema_v5},
    {6, schema_v6},
    {7, schema_v7},
    {8, schema_v8},
    {9, schema_v9},
};

constexpr const char* read_version_sql = "PRAGMA user_version";

}  // namespace

std::span<const migration> schema_migrations() { return all_migrations; }

int read_schema_version(sqlite3* db) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, read_version_sql, -1, &raw, nullptr) != SQLITE_OK) {
    detail::fail(db, "read schema version");
  }
  detail::statement_ptr stmt(raw);
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) detail::fail(db, "read schema version");
  return sqlite3_column_int(stmt.get(), 0);
}

void migrate(sqlite3* db, std::span<const migration> steps) {
  const int latest = steps.empty() ? 0 : steps.back().version;
  const int found = read_schema_version(db);
  if (found > latest) {
    throw store_error(fmt::format("database schema version {} is newer than this Serenade ({})", found, latest));
  }
  for (const migration& step : steps) {
    if (step.version <= found) continue;
    const std::string operation = fmt::format("migration {}", step.version);
    detail::transaction tx(db, operation);
    // Another process may have migrated between our read and taking the write lock.
    if (read_schema_version(db) >= step.version) continue;
    detail::exec(db, step.sql, operation);
    // PRAGMA takes no bound parameters; the version is our own integer.
    detail::exec(db, fmt::format("PRAGMA user_version = {}", step.version).c_str(), operation);
    tx.commit();
  }
}

}  // namespace serenade::store
