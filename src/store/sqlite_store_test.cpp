#include "store/migrations.hpp"
#include "store/sqlite_store.hpp"

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
using std::chrono::milliseconds;

constexpr int latest_schema = 7;

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

testing::AssertionResult contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << '"' << text << "\" does not contain \"" << part << '"';
}

time_point at(std::int64_t ms) { return time_point{milliseconds{ms}}; }

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

submission make_submission(std::string id, std::int64_t created_ms, std::optional<std::string> task = std::nullopt) {
  submission s;
  s.session_id = std::move(id);
  s.created_at = at(created_ms);
  s.sender = "Ana";
  s.recipient = "Bo";
  s.story = "We met on a rainy Tuesday in Lisbon.";
  s.style = "bossa nova";
  s.prompt = "A heartfelt love song";
  s.task_id = std::move(task);
  s.status = "RECEIVED";
  s.updated_at = at(created_ms);
  return s;
}

void expect_same(const submission& a, const submission& b) {
  EXPECT_EQ(a.session_id, b.session_id);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.sender, b.sender);
  EXPECT_EQ(a.recipient, b.recipient);
  EXPECT_EQ(a.story, b.story);
  EXPECT_EQ(a.style, b.style);
  EXPECT_EQ(a.prompt, b.prompt);
  EXPECT_EQ(a.task_id, b.task_id);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.streaming_ready_at, b.streaming_ready_at);
  EXPECT_EQ(a.completed_at, b.completed_at);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.updated_at, b.updated_at);
  EXPECT_EQ(a.archive, b.archive);
  EXPECT_EQ(a.idempotency_key, b.idempotency_key);
  EXPECT_EQ(a.client_key, b.client_key);
  EXPECT_EQ(a.lyrics, b.lyrics);
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.attempts, b.attempts);
  EXPECT_EQ(a.own_lyrics, b.own_lyrics);
}

archived_song make_archive(std::string source, std::uint64_t size = 3'456'789) {
  archived_song song;
  song.source = std::move(source);
  song.size = size;
  song.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  song.duration_ms = 187'250;
  song.archived_at = at(1'700'000'003'000);
  return song;
}

std::vector<std::string> ids_of(const std::vector<submission>& rows) {
  std::vector<std::string> ids;
  for (const auto& row : rows) ids.push_back(row.session_id);
  return ids;
}

void set_user_version(const std::string& file, int version) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  auto sql = "PRAGMA user_version = " + std::to_string(version);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const store_error& e) {
    return e.what();
  }
  return "(no store_error thrown)";
}

TEST(sqlite_store, round_trips_every_field) {
  sqlite_store store(":memory:");
  submission full = make_submission("session-full", 1'700'000'000'123, "task-1");
  full.sender = "Zoë 🌹";
  full.recipient = "Łukasz Żółć";
  full.story = "Nous nous sommes rencontrés à Paris.\n\t雨の日に出会った。 \"quotes\" and 'apostrophes'";
  full.style = "chanson — slow";
  full.prompt = "prompt with é and 🎵";
  full.status = "GENERATING_STREAMING_READY";
  full.streaming_ready_at = at(1'700'000'001'000);
  full.completed_at = at(1'700'000'002'000);
  full.error = "Sonauto refused the prompt";
  full.updated_at = at(1'700'000'002'500);
  full.idempotency_key = "3f0c9a4e-key-🔑";
  full.client_key = "2001:db8::7";
  full.lyrics = "Verse 1:\nRain on the window, \"you\" and me 🌧\n\nChorus:\n…";
  full.tags = {"bossa nova", "love", "français", "with \"quotes\" and \\", ""};
  full.attempts = 3;
  full.own_lyrics = "Umbrella in Lisbon,\n\train on the platform — você e eu 🌂";
  store.insert(full);

  submission sparse = make_submission("session-sparse", 5);
  sparse.sender = "";
  sparse.story = "";
  store.insert(sparse);

  auto found = store.find("session-full");
  ASSERT_TRUE(found);
  expect_same(*found, full);

  auto found_sparse = store.find("session-sparse");
  ASSERT_TRUE(found_sparse);
  expect_same(*found_sparse, sparse);
  EXPECT_FALSE(found_sparse->task_id);
  EXPECT_FALSE(found_sparse->streaming_ready_at);
  EXPECT_FALSE(found_sparse->completed_at);
  EXPECT_FALSE(found_sparse->error);
  EXPECT_FALSE(found_sparse->idempotency_key);
  EXPECT_FALSE(found_sparse->client_key);
  EXPECT_FALSE(found_sparse->lyrics);
  EXPECT_TRUE(found_sparse->tags.empty());
  EXPECT_EQ(found_sparse->attempts, 1);
  EXPECT_FALSE(found_sparse->own_lyrics);

  EXPECT_FALSE(store.find("no-such-session"));
}

TEST(sqlite_store, duplicate_session_id_throws) {
  sqlite_store store(":memory:");
  store.insert(make_submission("same", 1));
  EXPECT_THROW(store.insert(make_submission("same", 2)), duplicate_key);
  auto message = message_of([&] { store.insert(make_submission("same", 2)); });
  EXPECT_TRUE(contains(message, "insert submission"));
  EXPECT_TRUE(contains(message, "UNIQUE"));
  EXPECT_EQ(store.find("same")->created_at, at(1));
}

TEST(sqlite_store, duplicate_task_id_throws) {
  sqlite_store store(":memory:");
  store.insert(make_submission("a", 1, "task"));
  EXPECT_THROW(store.insert(make_submission("b", 2, "task")), duplicate_key);
  // Many submissions may still lack a task id.
  store.insert(make_submission("c", 3));
  store.insert(make_submission("d", 4));
  EXPECT_TRUE(store.find("d"));
}

TEST(sqlite_store, find_by_task) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s1", 1, "task-1"));
  store.insert(make_submission("s2", 2, "task-2"));
  store.insert(make_submission("s3", 3));
  auto found = store.find_by_task("task-2");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->session_id, "s2");
  EXPECT_FALSE(store.find_by_task("task-3"));
  EXPECT_FALSE(store.find_by_task(""));
}

TEST(sqlite_store, record_status_updates_status_and_time) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  auto before = now();
  EXPECT_TRUE(store.record_status("s", {.status = "GENERATING"}));
  auto row = *store.find("s");
  EXPECT_EQ(row.status, "GENERATING");
  EXPECT_GE(row.updated_at, before);
  EXPECT_FALSE(row.streaming_ready_at);
  EXPECT_FALSE(row.completed_at);
  EXPECT_FALSE(row.error);
}

TEST(sqlite_store, record_status_never_moves_milestones) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  EXPECT_TRUE(store.record_status("s", {.status = "GENERATING_STREAMING_READY", .streaming_ready_at = at(100)}));
  EXPECT_TRUE(store.record_status("s", {.status = "GENERATING_STREAMING_READY", .streaming_ready_at = at(200)}));
  EXPECT_TRUE(store.record_status("s", {.status = "SUCCESS", .streaming_ready_at = at(300), .completed_at = at(400)}));
  EXPECT_TRUE(store.record_status("s", {.status = "SUCCESS", .completed_at = at(500)}));
  auto row = *store.find("s");
  EXPECT_EQ(row.status, "SUCCESS");
  EXPECT_EQ(row.streaming_ready_at, at(100));
  EXPECT_EQ(row.completed_at, at(400));

  // Updates without the milestones leave them as they are.
  EXPECT_TRUE(store.record_status("s", {.status = "SUCCESS"}));
  row = *store.find("s");
  EXPECT_EQ(row.streaming_ready_at, at(100));
  EXPECT_EQ(row.completed_at, at(400));
}

TEST(sqlite_store, record_status_writes_error_only_when_given) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  EXPECT_TRUE(store.record_status("s", {.status = "FAILURE", .completed_at = at(9), .error = "the model failed"}));
  EXPECT_TRUE(store.record_status("s", {.status = "FAILURE"}));
  EXPECT_EQ(store.find("s")->error, "the model failed");
  EXPECT_TRUE(store.record_status("s", {.status = "FAILURE", .error = "a clearer reason"}));
  EXPECT_EQ(store.find("s")->error, "a clearer reason");
}

TEST(sqlite_store, record_status_with_empty_status_keeps_the_old_one) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  EXPECT_TRUE(store.record_status("s", {.streaming_ready_at = at(7)}));
  auto row = *store.find("s");
  EXPECT_EQ(row.status, "RECEIVED");
  EXPECT_EQ(row.streaming_ready_at, at(7));
}

TEST(sqlite_store, record_status_for_unknown_session_returns_false) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  EXPECT_FALSE(store.record_status("other", {.status = "SUCCESS"}));
  EXPECT_EQ(store.find("s")->status, "RECEIVED");
}

TEST(sqlite_store, unfinished_filters_and_orders_oldest_first) {
  sqlite_store store(":memory:");
  store.insert(make_submission("newest", 300, "t-newest"));
  store.insert(make_submission("no-task", 50));
  store.insert(make_submission("oldest", 100, "t-oldest"));
  store.insert(make_submission("done", 10, "t-done"));
  store.insert(make_submission("middle", 200, "t-middle"));
  store.insert(make_submission("failed", 20, "t-failed"));
  store.record_status("done", {.status = "SUCCESS", .completed_at = at(400)});
  store.record_status("failed", {.status = "FAILURE", .completed_at = at(401), .error = "x"});
  // Streaming-ready but not complete is still unfinished.
  store.record_status("middle", {.status = "GENERATING_STREAMING_READY", .streaming_ready_at = at(402)});

  EXPECT_EQ(ids_of(store.unfinished()), (std::vector<std::string>{"oldest", "middle", "newest"}));
}

TEST(sqlite_store, unfinished_breaks_ties_by_session_id) {
  sqlite_store store(":memory:");
  store.insert(make_submission("b", 5, "t-b"));
  store.insert(make_submission("a", 5, "t-a"));
  EXPECT_EQ(ids_of(store.unfinished()), (std::vector<std::string>{"a", "b"}));
}

TEST(sqlite_store, memory_store_is_at_latest_schema) {
  sqlite_store store(":memory:");
  EXPECT_EQ(store.schema_version(), latest_schema);
  EXPECT_EQ(schema_migrations().back().version, latest_schema);
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
            "database schema version 8 is newer than this Serenade (7)");
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

TEST(sqlite_store, record_archive_round_trips_every_field) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  EXPECT_FALSE(store.find("s")->archive);

  archived_song song = make_archive("live", std::uint64_t{1} << 40);  // beyond 32 bits
  song.duration_ms = 0;
  auto before = now();
  EXPECT_TRUE(store.record_archive("s", song));
  auto row = *store.find("s");
  ASSERT_TRUE(row.archive);
  EXPECT_EQ(row.archive->source, "live");
  EXPECT_EQ(row.archive->size, std::uint64_t{1} << 40);
  EXPECT_EQ(row.archive->sha256, song.sha256);
  EXPECT_EQ(row.archive->duration_ms, 0);
  EXPECT_EQ(row.archive->archived_at, song.archived_at);
  EXPECT_EQ(row.archive, song);
  EXPECT_GE(row.updated_at, before);
  EXPECT_EQ(store.find_by_task("t")->archive, song);
  // The status and milestones are untouched.
  EXPECT_EQ(row.status, "RECEIVED");
  EXPECT_FALSE(row.completed_at);
}

TEST(sqlite_store, insert_round_trips_an_archive) {
  sqlite_store store(":memory:");
  submission s = make_submission("s", 1, "t");
  s.status = "SUCCESS";
  s.completed_at = at(2);
  s.archive = make_archive("cdn");
  store.insert(s);
  expect_same(*store.find("s"), s);
}

TEST(sqlite_store, record_archive_for_unknown_session_returns_false) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  EXPECT_FALSE(store.record_archive("other", make_archive("cdn")));
  EXPECT_FALSE(store.record_archive("other", make_archive("live")));
  EXPECT_FALSE(store.find("s")->archive);
}

TEST(sqlite_store, cdn_copy_replaces_live_copy) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  EXPECT_TRUE(store.record_archive("s", make_archive("live", 1000)));
  archived_song cdn = make_archive("cdn", 2000);
  cdn.sha256 = std::string(64, 'a');
  cdn.duration_ms = 190'000;
  cdn.archived_at = at(1'700'000'009'000);
  EXPECT_TRUE(store.record_archive("s", cdn));
  EXPECT_EQ(store.find("s")->archive, cdn);

  // A later verified copy replaces the earlier one.
  archived_song again = cdn;
  again.archived_at = at(1'700'000'010'000);
  EXPECT_TRUE(store.record_archive("s", again));
  EXPECT_EQ(store.find("s")->archive, again);
}

TEST(sqlite_store, live_copy_replaces_live_copy) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  EXPECT_TRUE(store.record_archive("s", make_archive("live", 1000)));
  EXPECT_TRUE(store.record_archive("s", make_archive("live", 1500)));
  EXPECT_EQ(store.find("s")->archive->size, 1500u);
}

TEST(sqlite_store, live_copy_never_replaces_cdn_copy) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  archived_song cdn = make_archive("cdn", 2000);
  EXPECT_TRUE(store.record_archive("s", cdn));
  auto updated = store.find("s")->updated_at;

  archived_song live = make_archive("live", 999);
  live.sha256 = std::string(64, 'b');
  live.archived_at = at(1'800'000'000'000);
  // The session is known, so true; the verified copy stays, untouched.
  EXPECT_TRUE(store.record_archive("s", live));
  auto row = *store.find("s");
  EXPECT_EQ(row.archive, cdn);
  EXPECT_EQ(row.updated_at, updated);
}

TEST(sqlite_store, record_archive_refuses_bad_values) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  auto message = message_of([&] { store.record_archive("s", make_archive("s3")); });
  EXPECT_TRUE(contains(message, "record archive"));
  EXPECT_TRUE(contains(message, "CHECK"));
  EXPECT_THROW(store.record_archive("s", make_archive("")), store_error);
  message = message_of([&] { store.record_archive("s", make_archive("cdn", std::uint64_t{1} << 63)); });
  EXPECT_TRUE(contains(message, "too large"));
  EXPECT_FALSE(store.find("s")->archive);
  // The cached statements are still usable after a failure.
  EXPECT_TRUE(store.record_archive("s", make_archive("cdn")));
}

TEST(sqlite_store, awaiting_final_copy_filters_and_orders_oldest_first) {
  sqlite_store store(":memory:");
  auto succeed = [&](const std::string& id, std::int64_t created) {
    store.insert(make_submission(id, created, "t-" + id));
    EXPECT_TRUE(store.record_status(id, {.status = "SUCCESS", .completed_at = at(created + 1)}));
  };
  succeed("live-newest", 500);
  succeed("none-oldest", 100);
  succeed("cdn", 50);
  succeed("cdn-after-live", 60);
  succeed("live-middle", 300);
  succeed("none-middle", 200);
  store.insert(make_submission("generating", 10, "t-generating"));
  store.insert(make_submission("failed", 20, "t-failed"));
  store.record_status("failed", {.status = "FAILURE", .completed_at = at(21), .error = "x"});
  store.insert(make_submission("no-task", 30));
  // A live capture of a song whose generation has not reported SUCCESS yet is not for finalisation.
  store.insert(make_submission("streaming", 40, "t-streaming"));
  store.record_status("streaming", {.status = "GENERATING_STREAMING_READY", .streaming_ready_at = at(41)});
  EXPECT_TRUE(store.record_archive("streaming", make_archive("live")));

  EXPECT_TRUE(store.record_archive("cdn", make_archive("cdn")));
  EXPECT_TRUE(store.record_archive("cdn-after-live", make_archive("live")));
  EXPECT_TRUE(store.record_archive("cdn-after-live", make_archive("cdn")));
  EXPECT_TRUE(store.record_archive("live-newest", make_archive("live")));
  EXPECT_TRUE(store.record_archive("live-middle", make_archive("live")));

  auto rows = store.awaiting_final_copy();
  EXPECT_EQ(ids_of(rows),
            (std::vector<std::string>{"none-oldest", "none-middle", "live-middle", "live-newest"}));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_FALSE(rows[0].archive);
  EXPECT_FALSE(rows[1].archive);
  EXPECT_EQ(rows[2].archive, make_archive("live"));
  EXPECT_EQ(rows[3].archive, make_archive("live"));
  EXPECT_EQ(rows[2].completed_at, at(301));

  // Ties break by session id, and a cdn copy takes a song off the list.
  succeed("b-tie", 100);
  EXPECT_EQ(ids_of(store.awaiting_final_copy()),
            (std::vector<std::string>{"b-tie", "none-oldest", "none-middle", "live-middle", "live-newest"}));
  EXPECT_TRUE(store.record_archive("live-middle", make_archive("cdn")));
  EXPECT_TRUE(store.record_archive("none-oldest", make_archive("cdn")));
  EXPECT_EQ(ids_of(store.awaiting_final_copy()),
            (std::vector<std::string>{"b-tie", "none-middle", "live-newest"}));
}

TEST(sqlite_store, a_song_given_up_on_leaves_awaiting_final_copy_for_good) {
  sqlite_store store(":memory:");
  for (const std::string id : {"gone", "kept"}) {
    store.insert(make_submission(id, id == "gone" ? 1 : 2, "t-" + id));
    EXPECT_TRUE(store.record_status(id, {.status = "SUCCESS", .completed_at = at(3)}));
  }
  EXPECT_TRUE(store.record_archive("gone", make_archive("live")));
  EXPECT_EQ(ids_of(store.awaiting_final_copy()), (std::vector<std::string>{"gone", "kept"}));
  EXPECT_TRUE(store.give_up_final_copy("gone", at(10)));
  EXPECT_TRUE(store.give_up_final_copy("gone", at(20)));
  EXPECT_EQ(ids_of(store.awaiting_final_copy()), (std::vector<std::string>{"kept"}));
  EXPECT_EQ(store.find("gone")->archive, make_archive("live")) << "the live copy stays the song";
  EXPECT_FALSE(store.give_up_final_copy("unknown", at(10)));
}

TEST(sqlite_store, unfinished_returns_archive_fields) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  store.record_status("s", {.status = "GENERATING_STREAMING_READY", .streaming_ready_at = at(2)});
  EXPECT_TRUE(store.record_archive("s", make_archive("live")));
  auto rows = store.unfinished();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].archive, make_archive("live"));
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

submission with_key(std::string id, std::string client, std::string key, std::int64_t created_ms = 1,
                    std::optional<std::string> task = std::nullopt) {
  submission s = make_submission(std::move(id), created_ms, std::move(task));
  s.client_key = std::move(client);
  s.idempotency_key = std::move(key);
  return s;
}

TEST(sqlite_store, find_by_idempotency_key) {
  sqlite_store store(":memory:");
  store.insert(with_key("s1", "203.0.113.7", "key-1", 1, "t1"));
  store.insert(with_key("s2", "203.0.113.7", "key-2", 2, "t2"));
  store.insert(make_submission("s3", 3, "t3"));

  auto found = store.find_by_idempotency_key("203.0.113.7", "key-2");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->session_id, "s2");
  EXPECT_EQ(found->idempotency_key, "key-2");
  EXPECT_EQ(found->client_key, "203.0.113.7");
  EXPECT_FALSE(store.find_by_idempotency_key("203.0.113.7", "key-3"));
  EXPECT_FALSE(store.find_by_idempotency_key("198.51.100.1", "key-1"));  // another client's key
  EXPECT_FALSE(store.find_by_idempotency_key("203.0.113.7", ""));
  EXPECT_FALSE(store.find_by_idempotency_key("", ""));
}

TEST(sqlite_store, two_clients_may_use_the_same_idempotency_key) {
  sqlite_store store(":memory:");
  store.insert(with_key("a", "203.0.113.7", "same-key"));
  store.insert(with_key("b", "198.51.100.1", "same-key"));
  EXPECT_EQ(store.find_by_idempotency_key("203.0.113.7", "same-key")->session_id, "a");
  EXPECT_EQ(store.find_by_idempotency_key("198.51.100.1", "same-key")->session_id, "b");
}

TEST(sqlite_store, repeated_idempotency_key_is_a_duplicate_key) {
  sqlite_store store(":memory:");
  store.insert(with_key("first", "203.0.113.7", "key", 1, "t1"));
  EXPECT_THROW(store.insert(with_key("second", "203.0.113.7", "key", 2, "t2")), duplicate_key);
  auto message = message_of([&] { store.insert(with_key("second", "203.0.113.7", "key", 2, "t2")); });
  EXPECT_TRUE(contains(message, "insert submission"));
  EXPECT_TRUE(contains(message, "UNIQUE"));
  EXPECT_TRUE(contains(message, "idempotency_key"));
  EXPECT_FALSE(store.find("second"));
  EXPECT_EQ(store.find_by_idempotency_key("203.0.113.7", "key")->session_id, "first");
  // The cached insert statement is still usable after the failure.
  store.insert(with_key("third", "203.0.113.7", "other-key", 3, "t3"));
  EXPECT_TRUE(store.find("third"));
}

TEST(sqlite_store, submissions_without_a_key_never_collide) {
  sqlite_store store(":memory:");
  for (int i = 0; i < 5; ++i) {
    submission s = make_submission("plain-" + std::to_string(i), i);
    s.client_key = "203.0.113.7";  // a client without a key is no key
    store.insert(s);
  }
  EXPECT_TRUE(store.find("plain-4"));
  EXPECT_EQ(store.find("plain-4")->client_key, "203.0.113.7");
  EXPECT_FALSE(store.find("plain-4")->idempotency_key);
}

TEST(sqlite_store, idempotency_key_without_a_client_is_refused) {
  sqlite_store store(":memory:");
  submission s = make_submission("s", 1);
  s.idempotency_key = "key";
  auto message = message_of([&] { store.insert(s); });
  EXPECT_TRUE(contains(message, "CHECK"));
  try {
    store.insert(s);
    ADD_FAILURE() << "no error";
  } catch (const duplicate_key&) {
    ADD_FAILURE() << "a missing client is not a duplicate";
  } catch (const store_error&) {
  }
  EXPECT_FALSE(store.find("s"));
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

TEST(sqlite_store, count_created_since_counts_generations) {
  sqlite_store store(":memory:");
  store.insert(make_submission("before", 99, "t-before"));
  store.insert(make_submission("at", 100, "t-at"));
  store.insert(make_submission("after", 150, "t-after"));
  store.insert(make_submission("no-task", 150));  // its create's answer was lost: it may have cost a generation
  store.insert(make_submission("finished", 160, "t-finished"));
  store.record_status("finished", {.status = "FAILURE", .completed_at = at(170), .error = "x"});
  EXPECT_EQ(store.count_created_since(at(100)), 4u);
  EXPECT_EQ(store.count_created_since(at(0)), 5u);
  EXPECT_EQ(store.count_created_since(at(1000)), 0u);
}

TEST(sqlite_store, unconfirmed_lists_rows_without_a_task_not_given_up_oldest_first) {
  sqlite_store store(":memory:");
  store.insert(make_submission("newer", 20));
  store.insert(make_submission("older", 10));
  store.insert(make_submission("with-task", 5, "t-1"));
  store.insert(make_submission("given-up", 1));
  ASSERT_TRUE(store.give_up_unconfirmed("given-up", "No answer.", at(30)));
  EXPECT_EQ(ids_of(store.unconfirmed()), (std::vector<std::string>{"older", "newer"}));
  EXPECT_EQ(ids_of(store.unfinished()), (std::vector<std::string>{"with-task"}));
}

TEST(sqlite_store, confirm_task_makes_an_unconfirmed_row_a_generation) {
  sqlite_store store(":memory:");
  store.insert(make_submission("lost-answer", 10));
  ASSERT_TRUE(store.confirm_task("lost-answer", "t-found", at(50)));
  auto row = store.find("lost-answer");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->task_id, "t-found");
  EXPECT_EQ(row->status, "RECEIVED");
  EXPECT_EQ(row->updated_at, at(50));
  EXPECT_EQ(ids_of(store.unfinished()), (std::vector<std::string>{"lost-answer"}));
  EXPECT_TRUE(store.unconfirmed().empty());
  EXPECT_FALSE(store.confirm_task("lost-answer", "t-other", at(60))) << "a task id is never replaced";
  EXPECT_EQ(store.find("lost-answer")->task_id, "t-found");
  EXPECT_FALSE(store.confirm_task("unknown", "t-x", at(60)));
}

TEST(sqlite_store, confirm_task_brings_back_a_row_given_up_on) {
  sqlite_store store(":memory:");
  store.insert(make_submission("late", 10));
  ASSERT_TRUE(store.give_up_unconfirmed("late", "No answer.", at(20)));
  ASSERT_TRUE(store.confirm_task("late", "t-late", at(30)));
  auto row = store.find("late");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "RECEIVED");
  EXPECT_FALSE(row->completed_at);
  EXPECT_FALSE(row->error);
}

TEST(sqlite_store, confirm_task_with_another_rows_task_id_throws) {
  sqlite_store store(":memory:");
  store.insert(make_submission("owner", 10, "t-taken"));
  store.insert(make_submission("lost-answer", 20));
  EXPECT_THROW(store.confirm_task("lost-answer", "t-taken", at(30)), duplicate_key);
  EXPECT_FALSE(store.find("lost-answer")->task_id);
}

TEST(sqlite_store, give_up_unconfirmed_fails_only_a_row_still_without_a_task) {
  sqlite_store store(":memory:");
  store.insert(make_submission("waiting", 10));
  store.insert(make_submission("confirmed", 10, "t-1"));
  ASSERT_TRUE(store.give_up_unconfirmed("waiting", "No answer.", at(40)));
  auto row = store.find("waiting");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "FAILURE");
  EXPECT_EQ(row->completed_at, at(40));
  EXPECT_EQ(row->error, "No answer.");
  EXPECT_FALSE(store.give_up_unconfirmed("waiting", "Again.", at(50))) << "given up once";
  EXPECT_EQ(store.find("waiting")->error, "No answer.");
  EXPECT_FALSE(store.give_up_unconfirmed("confirmed", "No answer.", at(40)));
  EXPECT_EQ(store.find("confirmed")->status, "RECEIVED");
  EXPECT_FALSE(store.give_up_unconfirmed("unknown", "No answer.", at(40)));
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

TEST(sqlite_store, record_lyrics_round_trips) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  store.insert(make_submission("other", 2, "t-other"));
  const std::string lyrics = "Verse 1:\nWe met on a rainy Tuesday 🌧\n\"Lisbon\" \\ \t…\n\nChorus:\nÓ meu amor";
  const std::vector<std::string> tags = {"bossa nova", "love song", "português", "a \"quoted\" \\ tag",
                                         "line\nbreak", "", "\x01"};
  auto before = now();
  EXPECT_TRUE(store.record_lyrics("s", lyrics, tags));
  auto row = *store.find("s");
  EXPECT_EQ(row.lyrics, lyrics);
  EXPECT_EQ(row.tags, tags);
  EXPECT_GE(row.updated_at, before);
  // Nothing else moves.
  EXPECT_EQ(row.status, "RECEIVED");
  EXPECT_EQ(row.task_id, "t");
  EXPECT_EQ(row.attempts, 1);
  EXPECT_FALSE(row.archive);
  // Every read path returns them.
  EXPECT_EQ(store.find_by_task("t")->tags, tags);
  auto unfinished = store.unfinished();
  ASSERT_EQ(unfinished.size(), 2u);
  EXPECT_EQ(unfinished[0].lyrics, lyrics);
  EXPECT_EQ(unfinished[0].tags, tags);
  EXPECT_FALSE(unfinished[1].lyrics);
  EXPECT_TRUE(unfinished[1].tags.empty());
  EXPECT_TRUE(store.record_status("s", {.status = "SUCCESS", .completed_at = at(5)}));
  EXPECT_EQ(store.awaiting_final_copy().at(0).tags, tags);
}

TEST(sqlite_store, record_lyrics_keeps_bytes_that_are_not_utf8) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  const std::vector<std::string> tags = {"caf\xe9", "\xff\xfe", "ok"};
  EXPECT_TRUE(store.record_lyrics("s", "caf\xe9", tags));
  EXPECT_EQ(store.find("s")->tags, tags);
  EXPECT_EQ(store.find("s")->lyrics, "caf\xe9");
}

TEST(sqlite_store, record_lyrics_overwrites) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  EXPECT_TRUE(store.record_lyrics("s", "first draft", {"pop", "upbeat"}));
  EXPECT_TRUE(store.record_lyrics("s", "final lyrics", {"ballad"}));
  auto row = *store.find("s");
  EXPECT_EQ(row.lyrics, "final lyrics");
  EXPECT_EQ(row.tags, (std::vector<std::string>{"ballad"}));

  // Empty lyrics are still lyrics (set, not unset); no tags replaces the old ones.
  EXPECT_TRUE(store.record_lyrics("s", "", {}));
  row = *store.find("s");
  EXPECT_EQ(row.lyrics, "");
  EXPECT_TRUE(row.tags.empty());
}

TEST(sqlite_store, record_lyrics_for_unknown_session_returns_false) {
  sqlite_store store(":memory:");
  store.insert(make_submission("s", 1, "t"));
  EXPECT_FALSE(store.record_lyrics("other", "words", {"tag"}));
  EXPECT_FALSE(store.record_lyrics("", "words", {}));
  EXPECT_FALSE(store.find("s")->lyrics);
  EXPECT_TRUE(store.find("s")->tags.empty());
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

TEST(sqlite_store, insert_refuses_fewer_than_one_attempt) {
  sqlite_store store(":memory:");
  submission s = make_submission("s", 1, "t");
  s.attempts = 0;
  EXPECT_TRUE(contains(message_of([&] { store.insert(s); }), "CHECK"));
  EXPECT_FALSE(store.find("s"));
}

// A song that failed with everything a generation can leave behind.
void insert_failed(sqlite_store& store, const std::string& id, std::int64_t created_ms, const std::string& task) {
  store.insert(make_submission(id, created_ms, task));
  EXPECT_TRUE(
      store.record_status(id, {.status = "GENERATING_STREAMING_READY", .streaming_ready_at = at(created_ms + 1)}));
  EXPECT_TRUE(store.record_lyrics(id, "half-written lyrics", {"rock", "sad"}));
  EXPECT_TRUE(store.record_archive(id, make_archive("live")));
  EXPECT_TRUE(
      store.record_status(id, {.status = "FAILURE", .completed_at = at(created_ms + 2), .error = "the model failed"}));
}

TEST(sqlite_store, restart_generation_clears_the_failed_attempt) {
  sqlite_store store(":memory:");
  submission original = with_key("s", "203.0.113.7", "key", 1'700'000'000'000, "task-1");
  original.sender = "Zoë";
  store.insert(original);
  EXPECT_TRUE(store.record_status("s", {.status = "GENERATING_STREAMING_READY", .streaming_ready_at = at(2)}));
  EXPECT_TRUE(store.record_lyrics("s", "half-written lyrics", {"rock", "sad"}));
  EXPECT_TRUE(store.record_archive("s", make_archive("live")));
  EXPECT_TRUE(store.record_status("s", {.status = "FAILURE", .completed_at = at(3), .error = "the model failed"}));

  const time_point restarted_at = at(1'700'000'100'000);
  EXPECT_TRUE(store.restart_generation("s", "task-2", restarted_at));
  auto row = *store.find("s");
  EXPECT_EQ(row.task_id, "task-2");
  EXPECT_EQ(row.status, "RECEIVED");
  EXPECT_FALSE(row.streaming_ready_at);
  EXPECT_FALSE(row.completed_at);
  EXPECT_FALSE(row.error);
  EXPECT_FALSE(row.lyrics);
  EXPECT_TRUE(row.tags.empty());
  EXPECT_FALSE(row.archive);
  EXPECT_EQ(row.attempts, 2);
  EXPECT_EQ(row.updated_at, restarted_at);
  // What the person asked for, and who asked, stay.
  EXPECT_EQ(row.session_id, "s");
  EXPECT_EQ(row.created_at, original.created_at);
  EXPECT_EQ(row.sender, "Zoë");
  EXPECT_EQ(row.recipient, original.recipient);
  EXPECT_EQ(row.story, original.story);
  EXPECT_EQ(row.style, original.style);
  EXPECT_EQ(row.prompt, original.prompt);
  EXPECT_EQ(row.idempotency_key, "key");
  EXPECT_EQ(row.client_key, "203.0.113.7");

  // The session is found by its new task id only, and by its idempotency key as before.
  EXPECT_FALSE(store.find_by_task("task-1"));
  EXPECT_EQ(store.find_by_task("task-2")->session_id, "s");
  EXPECT_EQ(store.find_by_idempotency_key("203.0.113.7", "key")->task_id, "task-2");

  // The new generation records its milestones afresh.
  EXPECT_TRUE(store.record_status("s", {.status = "GENERATING_STREAMING_READY", .streaming_ready_at = at(10)}));
  EXPECT_TRUE(store.record_status("s", {.status = "SUCCESS", .completed_at = at(11)}));
  row = *store.find("s");
  EXPECT_EQ(row.streaming_ready_at, at(10));
  EXPECT_EQ(row.completed_at, at(11));
  EXPECT_EQ(ids_of(store.awaiting_final_copy()), (std::vector<std::string>{"s"}));
}

TEST(sqlite_store, restart_generation_only_from_failure) {
  sqlite_store store(":memory:");
  store.insert(make_submission("received", 1, "t-received"));
  store.insert(make_submission("no-task", 2));
  store.insert(make_submission("generating", 3, "t-generating"));
  store.record_status("generating", {.status = "GENERATING"});
  store.insert(make_submission("streaming", 4, "t-streaming"));
  store.record_status("streaming", {.status = "GENERATING_STREAMING_READY", .streaming_ready_at = at(5)});
  store.insert(make_submission("success", 6, "t-success"));
  store.record_status("success", {.status = "SUCCESS", .completed_at = at(7)});
  EXPECT_TRUE(store.record_archive("success", make_archive("cdn")));
  EXPECT_TRUE(store.record_lyrics("success", "words", {"pop"}));

  for (auto id : {"received", "no-task", "generating", "streaming", "success"}) {
    auto before = *store.find(id);
    EXPECT_FALSE(store.restart_generation(id, std::string("new-") + id, at(100))) << id;
    expect_same(*store.find(id), before);
  }
  EXPECT_FALSE(store.find_by_task("new-success"));

  // Unknown sessions, too.
  EXPECT_FALSE(store.restart_generation("nobody", "t-nobody", at(100)));
  EXPECT_FALSE(store.find_by_task("t-nobody"));
}

TEST(sqlite_store, restart_generation_counts_attempts) {
  sqlite_store store(":memory:");
  insert_failed(store, "s", 1, "task-1");
  EXPECT_EQ(store.find("s")->attempts, 1);
  for (int attempt = 2; attempt <= 4; ++attempt) {
    EXPECT_TRUE(store.restart_generation("s", "task-" + std::to_string(attempt), at(attempt * 100)));
    EXPECT_EQ(store.find("s")->attempts, attempt);
    // A second restart of the same attempt, before it failed, is refused and counts nothing.
    EXPECT_FALSE(store.restart_generation("s", "task-extra", at(attempt * 100 + 1)));
    EXPECT_EQ(store.find("s")->attempts, attempt);
    EXPECT_TRUE(
        store.record_status("s", {.status = "FAILURE", .completed_at = at(attempt * 100 + 50), .error = "again"}));
  }
  auto row = *store.find("s");
  EXPECT_EQ(row.attempts, 4);
  EXPECT_EQ(row.task_id, "task-4");
  // A restarted submission keeps its attempts when stored anew elsewhere.
  submission copy = row;
  copy.session_id = "copy";
  copy.task_id = "task-copy";
  store.insert(copy);
  EXPECT_EQ(store.find("copy")->attempts, 4);
}

TEST(sqlite_store, restart_generation_with_another_rows_task_id_throws) {
  sqlite_store store(":memory:");
  insert_failed(store, "s", 1, "task-1");
  store.insert(make_submission("other", 2, "task-other"));
  auto before = *store.find("s");

  EXPECT_THROW(store.restart_generation("s", "task-other", at(100)), duplicate_key);
  auto message = message_of([&] { store.restart_generation("s", "task-other", at(100)); });
  EXPECT_TRUE(contains(message, "restart generation"));
  EXPECT_TRUE(contains(message, "UNIQUE"));
  // Nothing changed, on either row.
  expect_same(*store.find("s"), before);
  EXPECT_EQ(store.find_by_task("task-other")->session_id, "other");

  // The cached statement is still usable after the failure.
  EXPECT_TRUE(store.restart_generation("s", "task-2", at(200)));
  EXPECT_EQ(store.find("s")->attempts, 2);
}

TEST(sqlite_store, unfinished_includes_a_restarted_submission) {
  sqlite_store store(":memory:");
  insert_failed(store, "failed", 10, "t-failed");
  store.insert(make_submission("running", 20, "t-running"));
  insert_failed(store, "restarted", 5, "t-restarted-1");
  EXPECT_EQ(ids_of(store.unfinished()), (std::vector<std::string>{"running"}));
  EXPECT_TRUE(store.awaiting_final_copy().empty());

  EXPECT_TRUE(store.restart_generation("restarted", "t-restarted-2", at(100)));
  auto rows = store.unfinished();
  // Still ordered by when the person asked (created_at), not by the retry.
  EXPECT_EQ(ids_of(rows), (std::vector<std::string>{"restarted", "running"}));
  EXPECT_EQ(rows[0].task_id, "t-restarted-2");
  EXPECT_EQ(rows[0].status, "RECEIVED");
  EXPECT_EQ(rows[0].attempts, 2);
  EXPECT_TRUE(store.awaiting_final_copy().empty());
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

TEST(database_url, postgres_is_not_supported_yet) {
  EXPECT_EQ(message_of([] { sqlite_path_from_url("postgres://u:secret@db/serenade"); }),
            "PostgreSQL is not supported yet");
  EXPECT_EQ(message_of([] { sqlite_path_from_url("postgresql://db/serenade"); }), "PostgreSQL is not supported yet");
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
