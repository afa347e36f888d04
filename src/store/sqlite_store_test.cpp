#include "store/migrations.hpp"
#include "store/sqlite_store.hpp"
#include "store/testing/store_rows.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace serenade::store {
namespace {

namespace fs = std::filesystem;
using namespace serenade::store::testing;
using std::chrono::milliseconds;

constexpr int latest_schema = 9;

class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "serenade-store-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const fs::path& path() const { return path_; }
  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// SQLite's EXPLAIN QUERY PLAN for `query` on a freshly migrated file database, its details joined.
std::string query_plan(const std::string& query) {
  temp_dir dir;
  auto file = dir.file("plan.db");
  { sqlite_store store(file); }
  sqlite3* raw = nullptr;
  if (sqlite3_open(file.c_str(), &raw) != SQLITE_OK) throw std::runtime_error("cannot open " + file);
  detail::connection_ptr db(raw);
  std::string plan;
  sqlite3_exec(
      db.get(), ("EXPLAIN QUERY PLAN " + query).c_str(),
      [](void* out, int columns, char** values, char**) {
        *static_cast<std::string*>(out) += values[columns - 1];
        return 0;
      },
      &plan, nullptr);
  return plan;
}

void set_user_version(const std::string& file, int version) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  auto sql = "PRAGMA user_version = " + std::to_string(version);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

TEST(sqlite_store, fresh_file_is_migrated_and_reopening_keeps_data) {
  temp_dir dir;
  auto file = dir.file("serenade.db");
  {
    sqlite_store store(file);
    EXPECT_EQ(store.schema_version(), latest_schema);
    store.insert(make_submission("kept", 42, "task"));
  }
  EXPECT_TRUE(fs::exists(file));
  sqlite_store reopened(file);
  EXPECT_EQ(reopened.schema_version(), latest_schema);
  auto row = reopened.find("kept");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->created_at, at(42));
}

TEST(sqlite_store, file_database_uses_wal) {
  temp_dir dir;
  auto file = dir.file("wal.db");
  { sqlite_store store(file); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  std::string mode;
  sqlite3_exec(
      db, "PRAGMA journal_mode",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) = values[0];
        return 0;
      },
      &mode, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(mode, "wal");
}

TEST(sqlite_store, refuses_newer_schema) {
  temp_dir dir;
  auto file = dir.file("future.db");
  set_user_version(file, latest_schema + 1);
  EXPECT_EQ(message_of([&] { sqlite_store store(file); }),
            "database schema version 10 is newer than this Serenade (9)");
}

TEST(sqlite_store, refuses_a_file_that_is_not_a_database) {
  temp_dir dir;
  auto file = dir.file("notes.txt");
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_TRUE(f);
    std::fputs("this is not a database, just some text long enough to fill a header......................", f);
    std::fclose(f);
  }
  auto message = message_of([&] { sqlite_store store(file); });
  EXPECT_TRUE(contains(message, "open database"));
  EXPECT_TRUE(contains(message, "not a database"));
}

// A database written by the previous Serenade (schema 1, with rows) upgrades in place and keeps every row.
TEST(sqlite_store, upgrades_a_version_1_database_with_rows) {
  temp_dir dir;
  auto file = dir.file("v1.db");
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    detail::connection_ptr db(raw);
    migrate(db.get(), schema_migrations().first(1));
    ASSERT_EQ(read_schema_version(db.get()), 1);
    detail::exec(db.get(), R"sql(
INSERT INTO submissions (session_id, created_at, sender, recipient, story, style, prompt, task_id, status,
                         streaming_ready_at, completed_at, error, updated_at)
VALUES ('done', 10, 'Ana', 'Bo', 'story', 'bossa nova', 'prompt', 'task-done', 'SUCCESS', 11, 12, NULL, 13),
       ('failed', 20, 'Cy', 'Di', '', 'jazz', 'p', 'task-failed', 'FAILURE', NULL, 21, 'the model failed', 22),
       ('running', 30, 'Ed', 'Flo', 's', 'pop', 'p', 'task-running', 'GENERATING', NULL, NULL, NULL, 31),
       ('new', 40, 'Gus', 'Hal', 's', 'rock', 'p', NULL, 'RECEIVED', NULL, NULL, NULL, 40)
)sql",
                 "seed v1");
  }

  sqlite_store store(file);
  EXPECT_EQ(store.schema_version(), latest_schema);

  auto done = store.find("done");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->created_at, at(10));
  EXPECT_EQ(done->sender, "Ana");
  EXPECT_EQ(done->recipient, "Bo");
  EXPECT_EQ(done->story, "story");
  EXPECT_EQ(done->style, "bossa nova");
  EXPECT_EQ(done->prompt, "prompt");
  EXPECT_EQ(done->task_id, "task-done");
  EXPECT_EQ(done->status, "SUCCESS");
  EXPECT_EQ(done->streaming_ready_at, at(11));
  EXPECT_EQ(done->completed_at, at(12));
  EXPECT_FALSE(done->error);
  EXPECT_EQ(done->updated_at, at(13));
  EXPECT_FALSE(done->archive);

  auto failed = store.find_by_task("task-failed");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->session_id, "failed");
  EXPECT_EQ(failed->error, "the model failed");
  EXPECT_FALSE(failed->archive);
  ASSERT_TRUE(store.find("new"));
  EXPECT_FALSE(store.find("new")->task_id);

  EXPECT_EQ(ids_of(store.unfinished()), (std::vector<std::string>{"running"}));
  // Songs finished before the upgrade have no archive record, so finalisation picks them up.
  EXPECT_EQ(ids_of(store.awaiting_final_copy()), (std::vector<std::string>{"done"}));
  EXPECT_TRUE(store.record_archive("done", make_archive("cdn")));
  EXPECT_TRUE(store.awaiting_final_copy().empty());
}

TEST(sqlite_store, upgrade_from_version_1_survives_reopening) {
  temp_dir dir;
  auto file = dir.file("v1.db");
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    detail::connection_ptr db(raw);
    migrate(db.get(), schema_migrations().first(1));
  }
  { sqlite_store store(file); }
  sqlite_store reopened(file);
  EXPECT_EQ(reopened.schema_version(), latest_schema);
  reopened.insert(make_submission("s", 1, "t"));
  EXPECT_TRUE(reopened.record_archive("s", make_archive("live")));
  EXPECT_EQ(reopened.find("s")->archive, make_archive("live"));
}

TEST(sqlite_store, awaiting_final_copy_uses_its_partial_index) {
  const auto plan = query_plan(
      "SELECT session_id FROM submissions "
      "WHERE status = 'SUCCESS' AND (archive_source IS NULL OR archive_source = 'live') "
      "AND final_copy_given_up_at IS NULL ORDER BY created_at, session_id");
  EXPECT_TRUE(contains(plan, "submissions_awaiting_final_copy"));
  EXPECT_FALSE(contains(plan, "TEMP B-TREE"));
}


// Several threads race to store the same repeat: exactly one wins, the others learn it was a duplicate and find
// the winner, which is what the create path does.
TEST(sqlite_store, concurrent_repeats_of_one_key_store_one_submission) {
  temp_dir dir;
  sqlite_store store(dir.file("race.db"));
  constexpr int threads = 8;
  std::vector<std::string> winners(threads);
  std::vector<std::string> found(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto id = "s-" + std::to_string(t);
      try {
        store.insert(with_key(id, "203.0.113.7", "race", t, "t-" + std::to_string(t)));
        winners[t] = id;
      } catch (const duplicate_key&) {
      }
      if (auto row = store.find_by_idempotency_key("203.0.113.7", "race")) found[t] = row->session_id;
    });
  }
  for (auto& worker : workers) worker.join();
  std::vector<std::string> won;
  for (const auto& w : winners) {
    if (!w.empty()) won.push_back(w);
  }
  ASSERT_EQ(won.size(), 1u);
  for (const auto& f : found) EXPECT_EQ(f, won[0]);
}

TEST(sqlite_store, find_by_idempotency_key_uses_its_index) {
  EXPECT_TRUE(contains(
      query_plan("SELECT session_id FROM submissions WHERE client_key = 'c' AND idempotency_key = 'k'"),
      "submissions_idempotency"));
}

TEST(sqlite_store, unconfirmed_uses_its_partial_index) {
  const auto plan = query_plan(
      "SELECT session_id FROM submissions INDEXED BY submissions_unconfirmed "
      "WHERE task_id IS NULL AND completed_at IS NULL ORDER BY created_at, session_id");
  EXPECT_TRUE(contains(plan, "submissions_unconfirmed"));
  EXPECT_FALSE(contains(plan, "TEMP B-TREE"));
}

// A database written by the previous Serenade (schema 2, with rows and archives) upgrades in place and keeps every
// row; the new columns start empty and the new uniqueness holds from then on.
TEST(sqlite_store, upgrades_a_version_2_database_with_rows) {
  temp_dir dir;
  auto file = dir.file("v2.db");
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    detail::connection_ptr db(raw);
    migrate(db.get(), schema_migrations().first(2));
    ASSERT_EQ(read_schema_version(db.get()), 2);
    detail::exec(db.get(), R"sql(
INSERT INTO submissions (session_id, created_at, sender, recipient, story, style, prompt, task_id, status,
                         streaming_ready_at, completed_at, error, updated_at,
                         archive_source, archive_size, archive_sha256, archive_duration_ms, archived_at)
VALUES ('done', 10, 'Ana', 'Bo', 'story', 'bossa nova', 'prompt', 'task-done', 'SUCCESS', 11, 12, NULL, 13,
        'cdn', 3456789, 'abc', 187250, 14),
       ('running', 30, 'Ed', 'Flo', 's', 'pop', 'p', 'task-running', 'GENERATING', NULL, NULL, NULL, 31,
        NULL, NULL, NULL, NULL, NULL)
)sql",
                 "seed v2");
  }

  sqlite_store store(file);
  EXPECT_EQ(store.schema_version(), latest_schema);
  auto done = store.find("done");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->task_id, "task-done");
  EXPECT_EQ(done->status, "SUCCESS");
  EXPECT_EQ(done->completed_at, at(12));
  ASSERT_TRUE(done->archive);
  EXPECT_EQ(done->archive->source, "cdn");
  EXPECT_EQ(done->archive->size, 3456789u);
  EXPECT_EQ(done->archive->archived_at, at(14));
  EXPECT_FALSE(done->idempotency_key);
  EXPECT_FALSE(done->client_key);
  EXPECT_EQ(ids_of(store.unfinished()), (std::vector<std::string>{"running"}));
  EXPECT_TRUE(store.awaiting_final_copy().empty());

  store.insert(with_key("new", "203.0.113.7", "key", 40, "task-new"));
  EXPECT_THROW(store.insert(with_key("again", "203.0.113.7", "key", 41, "task-again")), duplicate_key);
  EXPECT_EQ(store.find_by_idempotency_key("203.0.113.7", "key")->session_id, "new");

  // Reopening an upgraded file changes nothing.
  sqlite_store reopened(file);
  EXPECT_EQ(reopened.schema_version(), latest_schema);
  EXPECT_EQ(reopened.find_by_idempotency_key("203.0.113.7", "key")->session_id, "new");
  EXPECT_TRUE(reopened.find("done"));
}

TEST(sqlite_store, record_lyrics_keeps_bytes_that_are_not_utf8) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  const std::vector<std::string> tags = {"caf\xe9", "\xff\xfe", "ok"};
  EXPECT_TRUE(store.record_lyrics("s", "caf\xe9", tags));
  EXPECT_EQ(store.find("s")->tags, tags);
  EXPECT_EQ(store.find("s")->lyrics, "caf\xe9");
}

TEST(sqlite_store, tags_column_holds_a_json_array) {
  temp_dir dir;
  auto file = dir.file("tags.db");
  {
    sqlite_store store(file);
    store.insert(make_submission("s", 1, "t"));
    store.insert(make_submission("none", 2, "t-none"));
    EXPECT_TRUE(store.record_lyrics("s", "words", {"a \"b\"", "ç"}));
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
  detail::connection_ptr db(raw);
  std::string tags;
  sqlite3_exec(
      db.get(), "SELECT json_array_length(tags) || ' ' || (tags ->> '$[0]') FROM submissions WHERE session_id = 's'",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) = values[0];
        return 0;
      },
      &tags, nullptr);
  EXPECT_EQ(tags, "2 a \"b\"");
  std::string empty;
  sqlite3_exec(
      db.get(), "SELECT tags FROM submissions WHERE session_id = 'none'",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) = values[0];
        return 0;
      },
      &empty, nullptr);
  EXPECT_EQ(empty, "[]");

  // The column refuses anything but a JSON array, and NULL.
  for (auto sql : {"UPDATE submissions SET tags = 'not json'", "UPDATE submissions SET tags = '{\"a\": 1}'",
                   "UPDATE submissions SET tags = '\"a\"'", "UPDATE submissions SET tags = NULL",
                   "UPDATE submissions SET attempts = 0"}) {
    EXPECT_NE(sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr), SQLITE_OK) << sql;
  }
}

TEST(sqlite_store, stored_tags_that_are_not_strings_are_reported) {
  temp_dir dir;
  auto file = dir.file("bad-tags.db");
  { sqlite_store(file).insert(make_submission("s", 1, "t")); }
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    detail::connection_ptr db(raw);
    detail::exec(db.get(), "UPDATE submissions SET tags = '[\"ok\", 7]'", "corrupt tags");
  }
  sqlite_store store(file);
  auto message = message_of([&] { store.find("s"); });
  EXPECT_TRUE(contains(message, "submission s"));
  EXPECT_TRUE(contains(message, "tags"));
  // The cached statement is still usable after the failure.
  EXPECT_TRUE(store.record_lyrics("s", "words", {"fixed"}));
  EXPECT_EQ(store.find("s")->tags, (std::vector<std::string>{"fixed"}));
}


// A database written by the previous Serenade (schema 3, with rows, archives and idempotency keys) upgrades in place
// and keeps every row; existing rows have no lyrics, no tags and one attempt, and the new operations work on them.
TEST(sqlite_store, upgrades_a_version_3_database_with_rows) {
  temp_dir dir;
  auto file = dir.file("v3.db");
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    detail::connection_ptr db(raw);
    migrate(db.get(), schema_migrations().first(3));
    ASSERT_EQ(read_schema_version(db.get()), 3);
    detail::exec(db.get(), R"sql(
INSERT INTO submissions (session_id, created_at, sender, recipient, story, style, prompt, task_id, status,
                         streaming_ready_at, completed_at, error, updated_at,
                         archive_source, archive_size, archive_sha256, archive_duration_ms, archived_at,
                         idempotency_key, client_key)
VALUES ('done', 10, 'Ana', 'Bo', 'story', 'bossa nova', 'prompt', 'task-done', 'SUCCESS', 11, 12, NULL, 13,
        'cdn', 3456789, 'abc', 187250, 14, 'key-done', '203.0.113.7'),
       ('failed', 20, 'Cy', 'Di', '', 'jazz', 'p', 'task-failed', 'FAILURE', 21, 22, 'the model failed', 23,
        'live', 1000, 'def', 5000, 24, NULL, '198.51.100.1'),
       ('running', 30, 'Ed', 'Flo', 's', 'pop', 'p', 'task-running', 'GENERATING', NULL, NULL, NULL, 31,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL),
       ('new', 40, 'Gus', 'Hal', 's', 'rock', 'p', NULL, 'RECEIVED', NULL, NULL, NULL, 40,
        NULL, NULL, NULL, NULL, NULL, 'key-new', '203.0.113.7')
)sql",
                 "seed v3");
  }

  sqlite_store store(file);
  EXPECT_EQ(store.schema_version(), latest_schema);

  auto done = store.find("done");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->created_at, at(10));
  EXPECT_EQ(done->sender, "Ana");
  EXPECT_EQ(done->recipient, "Bo");
  EXPECT_EQ(done->story, "story");
  EXPECT_EQ(done->style, "bossa nova");
  EXPECT_EQ(done->prompt, "prompt");
  EXPECT_EQ(done->task_id, "task-done");
  EXPECT_EQ(done->status, "SUCCESS");
  EXPECT_EQ(done->streaming_ready_at, at(11));
  EXPECT_EQ(done->completed_at, at(12));
  EXPECT_FALSE(done->error);
  EXPECT_EQ(done->updated_at, at(13));
  ASSERT_TRUE(done->archive);
  EXPECT_EQ(done->archive->source, "cdn");
  EXPECT_EQ(done->archive->size, 3456789u);
  EXPECT_EQ(done->archive->sha256, "abc");
  EXPECT_EQ(done->archive->duration_ms, 187250);
  EXPECT_EQ(done->archive->archived_at, at(14));
  EXPECT_EQ(done->idempotency_key, "key-done");
  EXPECT_EQ(done->client_key, "203.0.113.7");
  EXPECT_FALSE(done->lyrics);
  EXPECT_TRUE(done->tags.empty());
  EXPECT_EQ(done->attempts, 1);

  auto failed = store.find_by_task("task-failed");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->session_id, "failed");
  EXPECT_EQ(failed->error, "the model failed");
  EXPECT_EQ(failed->archive->source, "live");
  EXPECT_FALSE(failed->idempotency_key);
  EXPECT_EQ(failed->client_key, "198.51.100.1");
  EXPECT_EQ(failed->attempts, 1);
  EXPECT_EQ(store.find_by_idempotency_key("203.0.113.7", "key-new")->session_id, "new");
  EXPECT_FALSE(store.find("new")->task_id);
  EXPECT_EQ(ids_of(store.unfinished()), (std::vector<std::string>{"running"}));
  EXPECT_TRUE(store.awaiting_final_copy().empty());

  // The new operations work on the upgraded rows, and the old uniqueness still holds.
  EXPECT_TRUE(store.record_lyrics("done", "words", {"bossa nova"}));
  EXPECT_THROW(store.restart_generation("failed", "task-done", at(50)), duplicate_key);
  EXPECT_TRUE(store.restart_generation("failed", "task-failed-2", at(50)));
  EXPECT_EQ(ids_of(store.unfinished()), (std::vector<std::string>{"failed", "running"}));
  EXPECT_THROW(store.insert(with_key("again", "203.0.113.7", "key-done", 60, "task-again")), duplicate_key);

  // Reopening an upgraded file changes nothing.
  sqlite_store reopened(file);
  EXPECT_EQ(reopened.schema_version(), latest_schema);
  EXPECT_EQ(reopened.find("done")->tags, (std::vector<std::string>{"bossa nova"}));
  EXPECT_EQ(reopened.find("done")->lyrics, "words");
  EXPECT_EQ(reopened.find("failed")->attempts, 2);
  EXPECT_FALSE(reopened.find("failed")->archive);
  EXPECT_EQ(reopened.find("running")->attempts, 1);
}

TEST(migrations, versions_are_consecutive_from_one) {
  int expected = 1;
  for (const auto& step : schema_migrations()) EXPECT_EQ(step.version, expected++);
}

TEST(migrations, failed_step_rolls_back_and_keeps_previous_version) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
  detail::connection_ptr db(raw);
  const migration steps[] = {
      {1, "CREATE TABLE one (x INTEGER)"},
      {2, "CREATE TABLE two (x INTEGER); INSERT INTO nowhere VALUES (1)"},
  };
  auto message = message_of([&] { migrate(db.get(), steps); });
  EXPECT_TRUE(contains(message, "migration 2"));
  EXPECT_TRUE(contains(message, "nowhere"));
  EXPECT_EQ(read_schema_version(db.get()), 1);
  EXPECT_EQ(sqlite3_exec(db.get(), "SELECT * FROM one", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db.get(), "SELECT * FROM two", nullptr, nullptr, nullptr), SQLITE_OK);

  // Applying again only runs what is missing.
  const migration fixed[] = {
      {1, "CREATE TABLE one (x INTEGER)"},
      {2, "CREATE TABLE two (x INTEGER)"},
  };
  migrate(db.get(), fixed);
  EXPECT_EQ(read_schema_version(db.get()), 2);
}

TEST(migrations, transaction_rolls_back_unless_committed) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
  detail::connection_ptr db(raw);
  detail::exec(db.get(), "CREATE TABLE t (x INTEGER)", "setup");
  {
    detail::transaction tx(db.get(), "test");
    detail::exec(db.get(), "INSERT INTO t VALUES (1)", "test");
  }
  {
    detail::transaction tx(db.get(), "test");
    detail::exec(db.get(), "INSERT INTO t VALUES (2)", "test");
    tx.commit();
  }
  int rows = 0;
  sqlite3_exec(
      db.get(), "SELECT x FROM t",
      [](void* count, int, char** values, char**) {
        EXPECT_STREQ(values[0], "2");
        ++*static_cast<int*>(count);
        return 0;
      },
      &rows, nullptr);
  EXPECT_EQ(rows, 1);
}

TEST(database_url, a_relative_path_is_kept_relative) {
  EXPECT_EQ(sqlite_path_from_url("sqlite:///./var/serenade.db"), "./var/serenade.db");
  EXPECT_EQ(sqlite_path_from_url("sqlite:///serenade.db"), "serenade.db");
}

TEST(database_url, an_absolute_path_keeps_its_slash) {
  EXPECT_EQ(sqlite_path_from_url("sqlite:////abs/x.db"), "/abs/x.db");
  EXPECT_EQ(sqlite_path_from_url("SQLite:////abs/x.db"), "/abs/x.db");
}

TEST(database_url, memory_names_the_in_memory_database) { EXPECT_EQ(sqlite_path_from_url("sqlite://:memory:"), ":memory:"); }

TEST(database_url, a_postgres_url_is_told_apart_and_names_no_sqlite_file) {
  EXPECT_TRUE(is_postgres_url("postgres://u:secret@db/serenade"));
  EXPECT_TRUE(is_postgres_url("PostgreSQL://db/serenade"));
  EXPECT_FALSE(is_postgres_url("sqlite:///postgres.db"));
  EXPECT_EQ(message_of([] { sqlite_path_from_url("postgres://u:secret@db/serenade"); }),
            "a PostgreSQL URL names no SQLite file");
}

TEST(database_url, unknown_scheme_names_accepted_forms_without_echoing_secrets) {
  auto message = message_of([] { sqlite_path_from_url("mysql://root:hunter2@db/serenade"); });
  EXPECT_TRUE(contains(message, "mysql"));
  EXPECT_TRUE(contains(message, "sqlite:///relative/path.db"));
  EXPECT_TRUE(contains(message, "sqlite:////absolute/path.db"));
  EXPECT_TRUE(contains(message, "sqlite://:memory:"));
  EXPECT_FALSE(contains(message, "hunter2"));
  EXPECT_TRUE(contains(message_of([] { sqlite_path_from_url("./var/serenade.db"); }), "sqlite://:memory:"));
}

TEST(database_url, sqlite_without_a_path_is_refused) {
  for (auto url : {"sqlite://", "sqlite:///", "sqlite:////", "sqlite://host/x.db", "sqlite:///var/"}) {
    EXPECT_TRUE(contains(message_of([&] { sqlite_path_from_url(url); }), "expected")) << url;
  }
}

TEST(open_store, opens_an_in_memory_database_at_the_latest_schema) {
  auto store = open_store("sqlite://:memory:");
  EXPECT_EQ(store->schema_version(), latest_schema);
  store->insert(make_submission("m", 1));
  EXPECT_TRUE(store->find("m"));
}

TEST(open_store, absolute_path_creates_missing_directories) {
  temp_dir dir;
  auto file = dir.path() / "nested" / "deeper" / "serenade.db";
  auto store = open_store("sqlite:///" + file.string());
  EXPECT_TRUE(fs::exists(file));
  EXPECT_EQ(store->schema_version(), latest_schema);
}

TEST(open_store, relative_path_is_relative_to_the_working_directory) {
  temp_dir dir;
  auto previous = fs::current_path();
  fs::current_path(dir.path());
  {
    auto store = open_store("sqlite:///./var/serenade.db");
    store->insert(make_submission("r", 1));
  }
  fs::current_path(previous);
  EXPECT_TRUE(fs::exists(dir.path() / "var" / "serenade.db"));
}

TEST(open_store, bad_scheme_throws) {
  EXPECT_THROW(open_store("redis://localhost"), store_error);
  EXPECT_THROW(open_store("postgres://localhost/serenade"), store_error);
}

TEST(open_store, unwritable_directory_is_reported) {
  temp_dir dir;
  auto blocker = dir.path() / "file";
  std::FILE* f = std::fopen(blocker.c_str(), "w");
  ASSERT_TRUE(f);
  std::fclose(f);
  // The parent "directory" is a regular file, so it can be neither created nor opened.
  EXPECT_THROW(open_store("sqlite:///" + (blocker / "sub" / "x.db").string()), store_error);
}

TEST(sqlite_store, concurrent_inserts_and_reads) {
  temp_dir dir;
  sqlite_store store(dir.file("concurrent.db"));
  constexpr int threads = 4;
  constexpr int per_thread = 100;
  std::vector<std::string> failures(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      try {
        for (int i = 0; i < per_thread; ++i) {
          auto id = "s-" + std::to_string(t) + "-" + std::to_string(i);
          auto task = "t-" + std::to_string(t) + "-" + std::to_string(i);
          store.insert(make_submission(id, t * 1000 + i, task));
          auto row = store.find(id);
          if (!row || row->session_id != id) throw std::runtime_error("lost " + id);
          if (!store.find_by_task(task)) throw std::runtime_error("lost task " + task);
          if (i % 2 == 0 && !store.record_status(id, {.status = "SUCCESS", .completed_at = at(i)})) {
            throw std::runtime_error("could not complete " + id);
          }
          if (i % 10 == 0) store.unfinished();
        }
      } catch (const std::exception& e) {
        failures[t] = e.what();
      }
    });
  }
  for (auto& worker : workers) worker.join();
  for (const auto& failure : failures) EXPECT_EQ(failure, "");
  EXPECT_EQ(store.unfinished().size(), static_cast<std::size_t>(threads * per_thread / 2));
}

}  // namespace
}  // namespace serenade::store
