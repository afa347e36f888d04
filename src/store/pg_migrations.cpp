#include "store/pg_migrations.hpp"

#include <fmt/format.h>

namespace serenade::store::pg {

namespace {

// The same versions as the SQLite schema (store/migrations.cpp), step for step, so a version number means the same
// columns in both; docs there say why each step exists. Times are unix milliseconds; tags a JSON array.
constexpr const char* schema_v1 = R"sql(
CREATE TABLE submissions (
  session_id         TEXT PRIMARY KEY NOT NULL,
  created_at         BIGINT NOT NULL,
  sender             TEXT NOT NULL,
  recipient          TEXT NOT NULL,
  story              TEXT NOT NULL,
  style              TEXT NOT NULL,
  prompt             TEXT NOT NULL,
  task_id            TEXT,
  status             TEXT NOT NULL,
  streaming_ready_at BIGINT,
  completed_at       BIGINT,
  error              TEXT,
  updated_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX submissions_task_id ON submissions (task_id);
CREATE INDEX submissions_unfinished ON submissions (created_at, session_id)
  WHERE task_id IS NOT NULL AND completed_at IS NULL;
)sql";

constexpr const char* schema_v2 = R"sql(
ALTER TABLE submissions ADD COLUMN archive_source TEXT CHECK (archive_source IN ('cdn', 'live'));
ALTER TABLE submissions ADD COLUMN archive_size BIGINT;
ALTER TABLE submissions ADD COLUMN archive_sha256 TEXT;
ALTER TABLE submissions ADD COLUMN archive_duration_ms BIGINT;
ALTER TABLE submissions ADD COLUMN archived_at BIGINT;
CREATE INDEX submissions_awaiting_final_copy ON submissions (created_at, session_id)
  WHERE status = 'SUCCESS' AND (archive_source IS NULL OR archive_source = 'live');
)sql";

constexpr const char* schema_v3 = R"sql(
ALTER TABLE submissions ADD COLUMN client_key TEXT;
ALTER TABLE submissions ADD COLUMN idempotency_key TEXT CHECK (idempotency_key IS NULL OR client_key IS NOT NULL);
CREATE UNIQUE INDEX submissions_idempotency ON submissions (client_key, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
)sql";

constexpr const char* schema_v4 = R"sql(
ALTER TABLE submissions ADD COLUMN lyrics TEXT;
ALTER TABLE submissions ADD COLUMN tags JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tags) = 'array');
ALTER TABLE submissions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1);
)sql";

constexpr const char* schema_v5 = R"sql(
ALTER TABLE submissions ADD COLUMN final_copy_given_up_at BIGINT;
DROP INDEX submissions_awaiting_final_copy;
CREATE INDEX submissions_awaiting_final_copy ON submissions (created_at, session_id)
  WHERE status = 'SUCCESS' AND (archive_source IS NULL OR archive_source = 'live')
    AND final_copy_given_up_at IS NULL;
)sql";

constexpr const char* schema_v6 = R"sql(
ALTER TABLE submissions ADD COLUMN own_lyrics TEXT;
)sql";

constexpr const char* schema_v7 = R"sql(
CREATE INDEX submissions_unconfirmed ON submissions (created_at, session_id)
  WHERE task_id IS NULL AND completed_at IS NULL;
)sql";

// Leases (lifecycle/ownership), and a notification on the channel serenade_submissions (store/pg_change_feed) for
// each change a person can see, not for lease renewals: event streams on every instance hear them.
constexpr const char* schema_v8 = R"sql(
ALTER TABLE submissions ADD COLUMN owner TEXT;
ALTER TABLE submissions ADD COLUMN lease_until BIGINT;
ALTER TABLE submissions ADD COLUMN owner_url TEXT;
CREATE INDEX submissions_work ON submissions (created_at, session_id)
  WHERE completed_at IS NULL OR (status = 'SUCCESS' AND (archive_source IS NULL OR archive_source = 'live')
    AND final_copy_given_up_at IS NULL);
CREATE FUNCTION serenade_submission_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('serenade_submissions', NEW.session_id);
  RETURN NULL;
END $$;
CREATE TRIGGER submissions_changed AFTER UPDATE ON submissions FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.task_id IS DISTINCT FROM NEW.task_id
    OR OLD.streaming_ready_at IS DISTINCT FROM NEW.streaming_ready_at OR OLD.completed_at IS DISTINCT FROM NEW.completed_at
    OR OLD.error IS DISTINCT FROM NEW.error OR OLD.lyrics IS DISTINCT FROM NEW.lyrics OR OLD.tags IS DISTINCT FROM NEW.tags
    OR OLD.archive_source IS DISTINCT FROM NEW.archive_source OR OLD.attempts IS DISTINCT FROM NEW.attempts)
  EXECUTE FUNCTION serenade_submission_changed();
)sql";

// The guards several instances share (store/pg_limits): client token buckets, daily spends per scope ("budget",
// "client:<range>", "network:<range>"), generating slots held for creates not yet stored, and the holders of
// Idempotency-Keys while they create. Times in the database's unix milliseconds.
constexpr const char* schema_v9 = R"sql(
CREATE TABLE serenade_client_buckets (
  client TEXT PRIMARY KEY,
  tokens DOUBLE PRECISION NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE INDEX serenade_client_buckets_updated ON serenade_client_buckets (updated_ms);
CREATE TABLE serenade_daily_spend (
  day BIGINT NOT NULL,
  scope TEXT NOT NULL,
  spent BIGINT NOT NULL,
  PRIMARY KEY (day, scope)
);
CREATE TABLE serenade_generating_holds (
  session_id TEXT PRIMARY KEY,
  until_ms BIGINT NOT NULL
);
CREATE TABLE serenade_idempotency_claims (
  client_key TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  until_ms BIGINT NOT NULL,
  PRIMARY KEY (client_key, idempotency_key)
);
CREATE INDEX submissions_generating ON submissions (session_id) WHERE completed_at IS NULL;
)sql";

// Tombstones of songs their maker took back (submission_store::erase); taking one back notifies like any change.
constexpr const char* schema_v10 = R"sql(
ALTER TABLE submissions ADD COLUMN deleted_at BIGINT;
DROP TRIGGER submissions_changed ON submissions;
CREATE TRIGGER submissions_changed AFTER UPDATE ON submissions FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.task_id IS DISTINCT FROM NEW.task_id
    OR OLD.streaming_ready_at IS DISTINCT FROM NEW.streaming_ready_at OR OLD.completed_at IS DISTINCT FROM NEW.completed_at
    OR OLD.error IS DISTINCT FROM NEW.error OR OLD.lyrics IS DISTINCT FROM NEW.lyrics OR OLD.tags IS DISTINCT FROM NEW.tags
    OR OLD.archive_source IS DISTINCT FROM NEW.archive_source OR OLD.attempts IS DISTINCT FROM NEW.attempts
    OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
  EXECUTE FUNCTION serenade_submission_changed();
)sql";

constexpr migration all_migrations[] = {
    {1, schema_v1}, {2, schema_v2}, {3, schema_v3}, {4, schema_v4}, {5, schema_v5}, {6, schema_v6}, {7, schema_v7},
    {8, schema_v8}, {9, schema_v9}, {10, schema_v10},
};

// Every instance migrates at start; this lock makes them take turns, so each step runs once.
constexpr const char* lock_sql = "SELECT pg_advisory_xact_lock(7265736)";  // any constant, the same everywhere
constexpr const char* version_table_sql = "CREATE TABLE IF NOT EXISTS serenade_schema (version INTEGER NOT NULL)";

int version_in(pg_conn* c) {
  auto found = run(c, "read schema version", "SELECT version FROM serenade_schema");
  return found.count() == 0 ? 0 : static_cast<int>(found.number(0, 0));
}

}  // namespace

std::span<const migration> schema_migrations() { return all_migrations; }

int read_schema_version(pg_conn* c) {
  auto exists = run(c, "read schema version", "SELECT to_regclass('serenade_schema') IS NOT NULL");
  if (exists.text(0, 0) != "t") return 0;
  return version_in(c);
}

void migrate(pg_conn* c, std::span<const migration> steps) {
  const int latest = steps.empty() ? 0 : steps.back().version;
  run_script(c, "begin migration", "BEGIN");
  try {
    run_script(c, "lock schema", lock_sql);
    run_script(c, "create schema version table", version_table_sql);
    const int found = version_in(c);
    if (found > latest) {
      throw store_error(fmt::format("database schema version {} is newer than this Serenade ({})", found, latest));
    }
    for (const migration& step : steps) {
      if (step.version <= found) continue;
      run_script(c, fmt::format("migration {}", step.version), step.sql);
    }
    if (latest > found) {
      run(c, "record schema version", "DELETE FROM serenade_schema");
      run(c, "record schema version", "INSERT INTO serenade_schema (version) VALUES ($1)",
          parameters().number(latest));
    }
    run_script(c, "commit migration", "COMMIT");
  } catch (...) {
    roll_back(c);
    throw;
  }
}

}  // namespace serenade::store::pg
