#include "store/sqlite_store.hpp"

#include "core/log.hpp"
#include "store/columns.hpp"
#include "store/migrations.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

namespace serenade::store {

namespace detail {

void connection_closer::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
void statement_finalizer::operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }

void fail(sqlite3* db, std::string_view operation) {
  throw store_error(fmt::format("{}: {}", operation, db ? sqlite3_errmsg(db) : "out of memory"));
}

void exec(sqlite3* db, const char* sql, std::string_view operation) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, operation);
}

transaction::transaction(sqlite3* db, std::string_view operation) : db_(db), operation_(operation) {
  exec(db_, "BEGIN IMMEDIATE", operation_);
}

transaction::~transaction() {
  // A failed COMMIT can leave the transaction open, so roll back whenever commit() did not finish.
  if (!committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void transaction::commit() {
  exec(db_, "COMMIT", operation_);
  committed_ = true;
}

}  // namespace detail

namespace {

constexpr std::string_view insert_sql = R"sql(
INSERT INTO submissions (session_id, created_at, sender, recipient, story, style, prompt, task_id, status,
                         streaming_ready_at, completed_at, error, updated_at,
                         archive_source, archive_size, archive_sha256, archive_duration_ms, archived_at,
                         idempotency_key, client_key, lyrics, tags, attempts, own_lyrics)
VALUES (:session_id, :created_at, :sender, :recipient, :story, :style, :prompt, :task_id, :status,
        :streaming_ready_at, :completed_at, :error, :updated_at,
        :archive_source, :archive_size, :archive_sha256, :archive_duration_ms, :archived_at,
        :idempotency_key, :client_key, :lyrics, :tags, :attempts, :own_lyrics)
)sql";

// Every query that returns whole submissions starts here; the column order is what read_submission expects.
constexpr std::string_view select_submissions = R"sql(
SELECT session_id, created_at, sender, recipient, story, style, prompt, task_id, status,
       streaming_ready_at, completed_at, error, updated_at,
       archive_source, archive_size, archive_sha256, archive_duration_ms, archived_at,
       idempotency_key, client_key, lyrics, tags, attempts, own_lyrics, owner, lease_until, owner_url, deleted_at
FROM submissions )sql";

const std::string find_sql = std::string(select_submissions) + R"sql(
WHERE session_id = :session_id
)sql";

const std::string find_by_task_sql = std::string(select_submissions) + R"sql(
WHERE task_id = :task_id
)sql";

// idempotency_key = … implies idempotency_key IS NOT NULL, so SQLite uses the partial index submissions_idempotency.
const std::string find_by_idempotency_key_sql = std::string(select_submissions) + R"sql(
WHERE client_key = :client_key AND idempotency_key = :idempotency_key
)sql";

constexpr std::string_view count_created_since_sql = R"sql(
SELECT COUNT(*) FROM submissions WHERE created_at >= :since
)sql";

// The WHERE clause matches the partial index submissions_unfinished word for word, so SQLite uses it.
const std::string unfinished_sql = std::string(select_submissions) + R"sql(
WHERE task_id IS NOT NULL AND completed_at IS NULL
ORDER BY created_at, session_id
)sql";

// The WHERE clause matches the partial index submissions_awaiting_final_copy word for word, so SQLite uses it.
const std::string awaiting_final_copy_sql = std::string(select_submissions) + R"sql(
WHERE status = 'SUCCESS' AND (archive_source IS NULL OR archive_source = 'live')
  AND final_copy_given_up_at IS NULL
ORDER BY created_at, session_id
)sql";

// Named: on its own the planner takes the unique index on task_id (task_id IS NULL), then sorts.
const std::string unconfirmed_sql = std::string(select_submissions) + R"sql(INDEXED BY submissions_unconfirmed
WHERE task_id IS NULL AND completed_at IS NULL
ORDER BY created_at, session_id
)sql";

constexpr std::string_view confirm_task_sql = R"sql(
UPDATE submissions SET
  task_id = :task_id,
  status = 'RECEIVED',
  completed_at = NULL,
  error = NULL,
  updated_at = :updated_at,
  owner = NULL,
  lease_until = NULL
WHERE session_id = :session_id AND task_id IS NULL AND deleted_at IS NULL
)sql";

constexpr std::string_view give_up_unconfirmed_sql = R"sql(
UPDATE submissions SET
  status = 'FAILURE',
  completed_at = :completed_at,
  error = :error,
  updated_at = :completed_at
WHERE session_id = :session_id AND task_id IS NULL AND completed_at IS NULL
)sql";

// The database's clock in unix milliseconds, as every lease statement reads it.
const std::string database_now = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

const std::string claim_sql = "UPDATE submissions SET owner = :owner, owner_url = :owner_url, lease_until = " + database_now +
                              " + :lease_ms WHERE session_id = :session_id AND deleted_at IS NULL AND (owner IS NULL OR owner = :owner OR "
                              "lease_until IS NULL OR lease_until < " + database_now + ")";

// Which songs have background work left; the first part of the partial index submissions_work, word for word.
constexpr std::string_view has_work = R"sql((completed_at IS NULL OR (status = 'SUCCESS' AND (archive_source IS NULL OR archive_source = 'live')
    AND final_copy_given_up_at IS NULL)))sql";

const std::string renew_leases_sql = "UPDATE submissions SET lease_until = " + database_now +
                                     " + :lease_ms WHERE owner = :owner AND " + std::string(has_work);

constexpr std::string_view release_all_sql = R"sql(
UPDATE submissions SET owner = NULL, lease_until = NULL WHERE owner = :owner
)sql";

constexpr std::string_view release_sql = R"sql(
UPDATE submissions SET owner = NULL, lease_until = NULL WHERE session_id = :session_id AND owner = :owner
)sql";

const std::string unowned_work_sql = std::string(select_submissions) + "INDEXED BY submissions_work\nWHERE " +
                                    std::string(has_work) + R"sql(
  AND (owner IS NULL OR lease_until IS NULL OR lease_until < )sql" + database_now + R"sql()
ORDER BY created_at, session_id
)sql";

// The milestones keep their first value (COALESCE), so replayed or late updates never move them.
// An empty status leaves the stored one alone rather than blanking it.
constexpr std::string_view record_status_sql = R"sql(
UPDATE submissions SET
  status = COALESCE(NULLIF(:status, ''), status),
  streaming_ready_at = COALESCE(streaming_ready_at, :streaming_ready_at),
  completed_at = COALESCE(completed_at, :completed_at),
  error = COALESCE(:error, error),
  updated_at = :updated_at
WHERE session_id = :session_id AND deleted_at IS NULL
)sql";

// Replaces the whole archive record, except that a "live" copy never replaces a "cdn" one (the verified final
// copy wins). When no row changes, session_exists_sql tells a kept "cdn" record from an unknown session.
constexpr std::string_view record_archive_sql = R"sql(
UPDATE submissions SET
  archive_source = :archive_source,
  archive_size = :archive_size,
  archive_sha256 = :archive_sha256,
  archive_duration_ms = :archive_duration_ms,
  archived_at = :archived_at,
  updated_at = :updated_at
WHERE session_id = :session_id AND deleted_at IS NULL AND NOT (archive_source IS 'cdn' AND :archive_source = 'live')
)sql";

constexpr std::string_view give_up_final_copy_sql = R"sql(
UPDATE submissions SET
  final_copy_given_up_at = COALESCE(final_copy_given_up_at, :given_up_at),
  updated_at = :updated_at
WHERE session_id = :session_id
)sql";

constexpr std::string_view session_exists_sql = R"sql(
SELECT 1 FROM submissions WHERE session_id = :session_id
)sql";

// Lyrics and tags are replaced together: a later write from the model supersedes the earlier one.
constexpr std::string_view record_lyrics_sql = R"sql(
UPDATE submissions SET
  lyrics = :lyrics,
  tags = :tags,
  updated_at = :updated_at
WHERE session_id = :session_id AND deleted_at IS NULL
)sql";

// A retry of a failed song: everything the failed generation produced is cleared, so the row looks like a fresh
// generation (unfinished() again) with one more attempt. Only a FAILURE row is touched; the unique index on task_id
// makes a task id that belongs to another row a constraint error (duplicate_key).
constexpr std::string_view restart_generation_sql = R"sql(
UPDATE submissions SET
  task_id = :task_id,
  status = 'RECEIVED',
  streaming_ready_at = NULL,
  completed_at = NULL,
  error = NULL,
  lyrics = NULL,
  tags = '[]',
  archive_source = NULL,
  archive_size = NULL,
  archive_sha256 = NULL,
  archive_duration_ms = NULL,
  archived_at = NULL,
  final_copy_given_up_at = NULL,
  owner = NULL,
  lease_until = NULL,
  attempts = attempts + 1,
  updated_at = :updated_at
WHERE session_id = :session_id AND status = 'FAILURE' AND deleted_at IS NULL
)sql";

constexpr std::string_view erase_sql = R"sql(
UPDATE submissions SET
  sender = '', recipient = '', story = '', style = '', prompt = '', lyrics = NULL, own_lyrics = NULL, tags = '[]',
  error = NULL, idempotency_key = NULL, client_key = NULL,
  archive_source = NULL, archive_size = NULL, archive_sha256 = NULL, archive_duration_ms = NULL, archived_at = NULL,
  completed_at = COALESCE(completed_at, :at), final_copy_given_up_at = COALESCE(final_copy_given_up_at, :at),
  owner = NULL, lease_until = NULL, owner_url = NULL, deleted_at = :at, updated_at = :at
WHERE session_id = :session_id AND deleted_at IS NULL
)sql";

std::int64_t to_millis(time_point t) { return t.time_since_epoch().count(); }
time_point from_millis(std::int64_t ms) { return time_point{std::chrono::milliseconds{ms}}; }

// One use of a cached statement: binds by name and resets on scope exit so the cache can reuse it.
class statement_use {
 public:
  statement_use(sqlite3* db, sqlite3_stmt* stmt, std::string_view operation)
      : db_(db), stmt_(stmt), operation_(operation) {}
  ~statement_use() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  statement_use(const statement_use&) = delete;
  statement_use& operator=(const statement_use&) = delete;

  void bind(const char* name, std::string_view text) {
    // A null data pointer would bind SQL NULL; an empty string must stay an empty string.
    const char* data = text.data() ? text.data() : "";
    check(sqlite3_bind_text64(stmt_, index(name), data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void bind(const char* name, time_point t) { check(sqlite3_bind_int64(stmt_, index(name), to_millis(t))); }
  void bind(const char* name, std::int64_t value) { check(sqlite3_bind_int64(stmt_, index(name), value)); }
  void bind_null(const char* name) { check(sqlite3_bind_null(stmt_, index(name))); }
  template <class T>
  void bind(const char* name, const std::optional<T>& value) {
    if (value) {
      bind(name, *value);
    } else {
      bind_null(name);
    }
  }

  // True when a row is available; false when the statement is done.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    const int extended = sqlite3_extended_errcode(db_);
    if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
      throw duplicate_key(fmt::format("{}: {}", operation_, sqlite3_errmsg(db_)));
    }
    detail::fail(db_, operation_);
  }

  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string text(int column) const {
    auto data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (!data) return {};
    return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  std::optional<std::string> optional_text(int column) const {
    if (is_null(column)) return std::nullopt;
    return text(column);
  }
  time_point time(int column) const { return from_millis(sqlite3_column_int64(stmt_, column)); }
  std::optional<time_point> optional_time(int column) const {
    if (is_null(column)) return std::nullopt;
    return time(column);
  }
  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  int index(const char* name) const {
    int i = sqlite3_bind_parameter_index(stmt_, name);
    if (i == 0) throw store_error(fmt::format("{}: statement has no parameter {}", operation_, name));
    return i;
  }
  void check(int rc) const {
    if (rc != SQLITE_OK) detail::fail(db_, operation_);
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::string_view operation_;
};

submission read_submission(const statement_use& row) {
  submission s;
  s.session_id = row.text(0);
  s.created_at = row.time(1);
  s.sender = row.text(2);
  s.recipient = row.text(3);
  s.story = row.text(4);
  s.style = row.text(5);
  s.prompt = row.text(6);
  s.task_id = row.optional_text(7);
  s.status = row.text(8);
  s.streaming_ready_at = row.optional_time(9);
  s.completed_at = row.optional_time(10);
  s.error = row.optional_text(11);
  s.updated_at = row.time(12);
  // archive_source is set whenever a record exists (record_archive writes all five columns together).
  if (!row.is_null(13)) {
    archived_song& a = s.archive.emplace();
    a.source = row.text(13);
    a.size = static_cast<std::uint64_t>(row.int64(14));
    a.sha256 = row.text(15);
    a.duration_ms = row.int64(16);
    a.archived_at = row.time(17);
  }
  s.idempotency_key = row.optional_text(18);
  s.client_key = row.optional_text(19);
  s.lyrics = row.optional_text(20);
  s.tags = tags_from_json(row.text(21), s.session_id);
  s.attempts = static_cast<int>(row.int64(22));
  s.own_lyrics = row.optional_text(23);
  s.owner = row.optional_text(24);
  s.lease_until = row.optional_time(25);
  s.owner_url = row.optional_text(26);
  s.deleted_at = row.optional_time(27);
  return s;
}

void bind_archive(statement_use& use, const archived_song& song, std::string_view operation) {
  use.bind(":archive_source", song.source);
  use.bind(":archive_size", archive_size(song, operation));
  use.bind(":archive_sha256", song.sha256);
  use.bind(":archive_duration_ms", song.duration_ms);
  use.bind(":archived_at", song.archived_at);
}

std::string query_text(sqlite3* db, const char* sql, std::string_view operation) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) detail::fail(db, operation);
  detail::statement_ptr stmt(raw);
  statement_use use(db, stmt.get(), operation);
  return use.step() ? use.text(0) : std::string();
}

}  // namespace

sqlite_store::sqlite_store(const std::string& path) {
  const std::string operation = fmt::format("open database {}", path);
  sqlite3* raw = nullptr;
  // NOMUTEX: mutex_ already serialises every use of the connection.
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) detail::fail(raw, operation);

  // busy_timeout first, so the following statements wait for another process's lock instead of failing.
  detail::exec(db_.get(), "PRAGMA busy_timeout = 5000", operation);
  if (path != ":memory:") {
    auto mode = query_text(db_.get(), "PRAGMA journal_mode = WAL", operation);
    // Some file systems (network mounts) cannot do WAL; SQLite then keeps the old mode, which still works.
    if (mode != "wal") SERENADE_LOG(warn, "sqlite_wal_unavailable", "path", path, "journal_mode", mode);
  }
  detail::exec(db_.get(), "PRAGMA synchronous = NORMAL", operation);
  detail::exec(db_.get(), "PRAGMA foreign_keys = ON", operation);

  migrate(db_.get(), schema_migrations());
}

sqlite_store::~sqlite_store() = default;

sqlite3_stmt* sqlite_store::prepared(std::string_view sql) {
  auto found = statements_.find(sql);
  if (found != statements_.end()) return found->second.get();
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                         nullptr) != SQLITE_OK) {
    detail::fail(db_.get(), "prepare statement");
  }
  return statements_.emplace(sql, detail::statement_ptr(raw)).first->second.get();
}

void sqlite_store::insert(const submission& s) {
  constexpr std::string_view operation = "insert submission";
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(insert_sql), operation);
  use.bind(":session_id", s.session_id);
  use.bind(":created_at", s.created_at);
  use.bind(":sender", s.sender);
  use.bind(":recipient", s.recipient);
  use.bind(":story", s.story);
  use.bind(":style", s.style);
  use.bind(":prompt", s.prompt);
  use.bind(":task_id", s.task_id);
  use.bind(":status", s.status);
  use.bind(":streaming_ready_at", s.streaming_ready_at);
  use.bind(":completed_at", s.completed_at);
  use.bind(":error", s.error);
  use.bind(":updated_at", s.updated_at);
  if (s.archive) {
    bind_archive(use, *s.archive, operation);
  } else {
    for (auto name : {":archive_source", ":archive_size", ":archive_sha256", ":archive_duration_ms", ":archived_at"}) {
      use.bind_null(name);
    }
  }
  use.bind(":idempotency_key", s.idempotency_key);
  use.bind(":client_key", s.client_key);
  use.bind(":lyrics", s.lyrics);
  use.bind(":tags", tags_to_json(s.tags));
  use.bind(":attempts", std::int64_t{s.attempts});
  use.bind(":own_lyrics", s.own_lyrics);
  use.step();
}

std::optional<submission> sqlite_store::find_one(std::string_view sql, text_parameters parameters,
                                                 std::string_view operation) {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(sql), operation);
  for (const auto& [name, value] : parameters) use.bind(name, value);
  if (!use.step()) return std::nullopt;
  return read_submission(use);
}

std::optional<submission> sqlite_store::find(std::string_view session_id) {
  return find_one(find_sql, {{":session_id", session_id}}, "find submission");
}

std::optional<submission> sqlite_store::find_by_task(std::string_view task_id) {
  return find_one(find_by_task_sql, {{":task_id", task_id}}, "find submission by task");
}

std::optional<submission> sqlite_store::find_by_idempotency_key(std::string_view client_key,
                                                                std::string_view idempotency_key) {
  return find_one(find_by_idempotency_key_sql, {{":client_key", client_key}, {":idempotency_key", idempotency_key}},
                  "find submission by idempotency key");
}

std::uint64_t sqlite_store::count_created_since(time_point since) {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(count_created_since_sql), "count submissions created since");
  use.bind(":since", since);
  return use.step() ? static_cast<std::uint64_t>(use.int64(0)) : 0;
}

bool sqlite_store::record_status(std::string_view session_id, const status_update& update) {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(record_status_sql), "record status");
  use.bind(":session_id", session_id);
  use.bind(":status", update.status);
  use.bind(":streaming_ready_at", update.streaming_ready_at);
  use.bind(":completed_at", update.completed_at);
  use.bind(":error", update.error);
  use.bind(":updated_at", now());
  use.step();
  return sqlite3_changes(db_.get()) > 0;
}

std::vector<submission> sqlite_store::unfinished() {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(unfinished_sql), "list unfinished submissions");
  std::vector<submission> out;
  while (use.step()) out.push_back(read_submission(use));
  return out;
}

bool sqlite_store::record_archive(std::string_view session_id, const archived_song& song) {
  constexpr std::string_view operation = "record archive";
  std::lock_guard lock(mutex_);
  {
    statement_use use(db_.get(), prepared(record_archive_sql), operation);
    use.bind(":session_id", session_id);
    bind_archive(use, song, operation);
    use.bind(":updated_at", now());
    use.step();
    if (sqlite3_changes(db_.get()) > 0) return true;
  }
  // Nothing changed: either the session is unknown or its "cdn" record was kept against a "live" one.
  statement_use exists(db_.get(), prepared(session_exists_sql), operation);
  exists.bind(":session_id", session_id);
  return exists.step();
}

bool sqlite_store::erase(std::string_view session_id, time_point at) {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(erase_sql), "erase submission");
  use.bind(":session_id", session_id);
  use.bind(":at", at);
  use.step();
  return sqlite3_changes(db_.get()) > 0;
}

bool sqlite_store::give_up_final_copy(std::string_view session_id, time_point at) {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(give_up_final_copy_sql), "give up final copy");
  use.bind(":session_id", session_id);
  use.bind(":given_up_at", at);
  use.bind(":updated_at", now());
  use.step();
  return sqlite3_changes(db_.get()) > 0;
}

std::vector<submission> sqlite_store::awaiting_final_copy() {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(awaiting_final_copy_sql), "list submissions awaiting a final copy");
  std::vector<submission> out;
  while (use.step()) out.push_back(read_submission(use));
  return out;
}

bool sqlite_store::record_lyrics(std::string_view session_id, const std::string& lyrics,
                                 const std::vector<std::string>& tags) {
  const std::string tags_json = tags_to_json(tags);
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(record_lyrics_sql), "record lyrics");
  use.bind(":session_id", session_id);
  use.bind(":lyrics", lyrics);
  use.bind(":tags", tags_json);
  use.bind(":updated_at", now());
  use.step();
  return sqlite3_changes(db_.get()) > 0;
}

bool sqlite_store::restart_generation(std::string_view session_id, std::string_view new_task_id, time_point now) {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(restart_generation_sql), "restart generation");
  use.bind(":session_id", session_id);
  use.bind(":task_id", new_task_id);
  use.bind(":updated_at", now);
  use.step();
  return sqlite3_changes(db_.get()) > 0;
}

std::vector<submission> sqlite_store::unconfirmed() {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(unconfirmed_sql), "list unconfirmed submissions");
  std::vector<submission> out;
  while (use.step()) out.push_back(read_submission(use));
  return out;
}

bool sqlite_store::confirm_task(std::string_view session_id, std::string_view task_id, time_point now) {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(confirm_task_sql), "confirm task");
  use.bind(":session_id", session_id);
  use.bind(":task_id", task_id);
  use.bind(":updated_at", now);
  use.step();
  return sqlite3_changes(db_.get()) > 0;
}

bool sqlite_store::give_up_unconfirmed(std::string_view session_id, const std::string& error, time_point at) {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(give_up_unconfirmed_sql), "give up unconfirmed");
  use.bind(":session_id", session_id);
  use.bind(":error", std::string_view(error));
  use.bind(":completed_at", at);
  use.step();
  return sqlite3_changes(db_.get()) > 0;
}

bool sqlite_store::claim(std::string_view session_id, std::string_view owner, std::string_view owner_url,
                         std::chrono::milliseconds lease) {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(claim_sql), "claim lease");
  use.bind(":session_id", session_id);
  use.bind(":owner", owner);
  use.bind(":owner_url", owner_url);
  use.bind(":lease_ms", std::int64_t{lease.count()});
  use.step();
  return sqlite3_changes(db_.get()) > 0;
}

std::uint64_t sqlite_store::renew_leases(std::string_view owner, std::chrono::milliseconds lease) {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(renew_leases_sql), "renew leases");
  use.bind(":owner", owner);
  use.bind(":lease_ms", std::int64_t{lease.count()});
  use.step();
  return static_cast<std::uint64_t>(sqlite3_changes(db_.get()));
}

bool sqlite_store::release(std::string_view session_id, std::string_view owner) {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(release_sql), "release lease");
  use.bind(":session_id", session_id);
  use.bind(":owner", owner);
  use.step();
  return sqlite3_changes(db_.get()) > 0;
}

std::uint64_t sqlite_store::release_all(std::string_view owner) {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(release_all_sql), "release all leases");
  use.bind(":owner", owner);
  use.step();
  return static_cast<std::uint64_t>(sqlite3_changes(db_.get()));
}

std::vector<submission> sqlite_store::unowned_work() {
  std::lock_guard lock(mutex_);
  statement_use use(db_.get(), prepared(unowned_work_sql), "list unowned work");
  std::vector<submission> out;
  while (use.step()) out.push_back(read_submission(use));
  return out;
}

int sqlite_store::schema_version() {
  std::lock_guard lock(mutex_);
  return read_schema_version(db_.get());
}

}  // namespace serenade::store
