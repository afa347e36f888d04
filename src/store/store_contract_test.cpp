// The contract every submission_store keeps, checked against SQLite and against PostgreSQL (a database of its own
// per test, in the throwaway cluster the test fixture starts).
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"
#include "store/testing/postgres_database.hpp"
#include "store/testing/store_rows.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace serenade::store {
namespace {

using namespace serenade::store::testing;

// PostgreSQL's schema has one step more: the tables of the limits instances share (store/shared_limits.hpp).
constexpr int latest_sqlite_schema = 9;
constexpr int latest_postgres_schema = 10;

class store_contract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      store_ = std::make_unique<sqlite_store>(":memory:");
    } else {
      database_ = std::make_unique<postgres_database>();
      store_ = std::make_unique<pg_store>(database_->url(), 2);
    }
  }
  void TearDown() override { store_.reset(); }
  submission_store& store() { return *store_; }

 private:
  std::unique_ptr<postgres_database> database_;  // outlives the store, which holds connections to it
  std::unique_ptr<submission_store> store_;
};

TEST_P(store_contract, round_trips_every_field) {
  auto& store = this->store();
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

TEST_P(store_contract, duplicate_session_id_throws) {
  auto& store = this->store();
  store.insert(make_submission("same", 1));
  EXPECT_THROW(store.insert(make_submission("same", 2)), duplicate_key);
  auto message = message_of([&] { store.insert(make_submission("same", 2)); });
  EXPECT_TRUE(contains(message, "insert submission"));
  EXPECT_TRUE(contains(lowercase(message), "unique"));
  EXPECT_EQ(store.find("same")->created_at, at(1));
}

TEST_P(store_contract, duplicate_task_id_throws) {
  auto& store = this->store();
  store.insert(make_submission("a", 1, "task"));
  EXPECT_THROW(store.insert(make_submission("b", 2, "task")), duplicate_key);
  // Many submissions may still lack a task id.
  store.insert(make_submission("c", 3));
  store.insert(make_submission("d", 4));
  EXPECT_TRUE(store.find("d"));
}

TEST_P(store_contract, find_by_task) {
  auto& store = this->store();
  store.insert(make_submission("s1", 1, "task-1"));
  store.insert(make_submission("s2", 2, "task-2"));
  store.insert(make_submission("s3", 3));
  auto found = store.find_by_task("task-2");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->session_id, "s2");
  EXPECT_FALSE(store.find_by_task("task-3"));
  EXPECT_FALSE(store.find_by_task(""));
}

TEST_P(store_contract, record_status_updates_status_and_time) {
  auto& store = this->store();
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

TEST_P(store_contract, record_status_never_moves_milestones) {
  auto& store = this->store();
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

TEST_P(store_contract, record_status_writes_error_only_when_given) {
  auto& store = this->store();
  store.insert(make_submission("s", 1, "t"));
  EXPECT_TRUE(store.record_status("s", {.status = "FAILURE", .completed_at = at(9), .error = "the model failed"}));
  EXPECT_TRUE(store.record_status("s", {.status = "FAILURE"}));
  EXPECT_EQ(store.find("s")->error, "the model failed");
  EXPECT_TRUE(store.record_status("s", {.status = "FAILURE", .error = "a clearer reason"}));
  EXPECT_EQ(store.find("s")->error, "a clearer reason");
}

TEST_P(store_contract, record_status_with_empty_status_keeps_the_old_one) {
  auto& store = this->store();
  store.insert(make_submission("s", 1, "t"));
  EXPECT_TRUE(store.record_status("s", {.streaming_ready_at = at(7)}));
  auto row = *store.find("s");
  EXPECT_EQ(row.status, "RECEIVED");
  EXPECT_EQ(row.streaming_ready_at, at(7));
}

TEST_P(store_contract, record_status_for_unknown_session_returns_false) {
  auto& store = this->store();
  store.insert(make_submission("s", 1, "t"));
  EXPECT_FALSE(store.record_status("other", {.status = "SUCCESS"}));
  EXPECT_EQ(store.find("s")->status, "RECEIVED");
}

TEST_P(store_contract, unfinished_filters_and_orders_oldest_first) {
  auto& store = this->store();
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

TEST_P(store_contract, unfinished_breaks_ties_by_session_id) {
  auto& store = this->store();
  store.insert(make_submission("b", 5, "t-b"));
  store.insert(make_submission("a", 5, "t-a"));
  EXPECT_EQ(ids_of(store.unfinished()), (std::vector<std::string>{"a", "b"}));
}

TEST_P(store_contract, a_new_store_is_at_the_latest_schema) {
  auto& store = this->store();
  EXPECT_EQ(store.schema_version(), GetParam() == "sqlite" ? latest_sqlite_schema : latest_postgres_schema);
  EXPECT_EQ(store.limits() != nullptr, GetParam() != "sqlite") << "shared limits exist exactly where leases do";
}

TEST_P(store_contract, record_archive_round_trips_every_field) {
  auto& store = this->store();
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

TEST_P(store_contract, insert_round_trips_an_archive) {
  auto& store = this->store();
  submission s = make_submission("s", 1, "t");
  s.status = "SUCCESS";
  s.completed_at = at(2);
  s.archive = make_archive("cdn");
  store.insert(s);
  expect_same(*store.find("s"), s);
}

TEST_P(store_contract, record_archive_for_unknown_session_returns_false) {
  auto& store = this->store();
  store.insert(make_submission("s", 1, "t"));
  EXPECT_FALSE(store.record_archive("other", make_archive("cdn")));
  EXPECT_FALSE(store.record_archive("other", make_archive("live")));
  EXPECT_FALSE(store.find("s")->archive);
}

TEST_P(store_contract, cdn_copy_replaces_live_copy) {
  auto& store = this->store();
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

TEST_P(store_contract, live_copy_replaces_live_copy) {
  auto& store = this->store();
  store.insert(make_submission("s", 1, "t"));
  EXPECT_TRUE(store.record_archive("s", make_archive("live", 1000)));
  EXPECT_TRUE(store.record_archive("s", make_archive("live", 1500)));
  EXPECT_EQ(store.find("s")->archive->size, 1500u);
}

TEST_P(store_contract, live_copy_never_replaces_cdn_copy) {
  auto& store = this->store();
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

TEST_P(store_contract, record_archive_refuses_bad_values) {
  auto& store = this->store();
  store.insert(make_submission("s", 1, "t"));
  auto message = message_of([&] { store.record_archive("s", make_archive("s3")); });
  EXPECT_TRUE(contains(message, "record archive"));
  EXPECT_TRUE(contains(lowercase(message), "check constraint"));
  EXPECT_THROW(store.record_archive("s", make_archive("")), store_error);
  message = message_of([&] { store.record_archive("s", make_archive("cdn", std::uint64_t{1} << 63)); });
  EXPECT_TRUE(contains(message, "too large"));
  EXPECT_FALSE(store.find("s")->archive);
  // The cached statements are still usable after a failure.
  EXPECT_TRUE(store.record_archive("s", make_archive("cdn")));
}

TEST_P(store_contract, awaiting_final_copy_filters_and_orders_oldest_first) {
  auto& store = this->store();
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

TEST_P(store_contract, a_song_given_up_on_leaves_awaiting_final_copy_for_good) {
  auto& store = this->store();
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

TEST_P(store_contract, unfinished_returns_archive_fields) {
  auto& store = this->store();
  store.insert(make_submission("s", 1, "t"));
  store.record_status("s", {.status = "GENERATING_STREAMING_READY", .streaming_ready_at = at(2)});
  EXPECT_TRUE(store.record_archive("s", make_archive("live")));
  auto rows = store.unfinished();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].archive, make_archive("live"));
}

TEST_P(store_contract, find_by_idempotency_key) {
  auto& store = this->store();
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

TEST_P(store_contract, two_clients_may_use_the_same_idempotency_key) {
  auto& store = this->store();
  store.insert(with_key("a", "203.0.113.7", "same-key"));
  store.insert(with_key("b", "198.51.100.1", "same-key"));
  EXPECT_EQ(store.find_by_idempotency_key("203.0.113.7", "same-key")->session_id, "a");
  EXPECT_EQ(store.find_by_idempotency_key("198.51.100.1", "same-key")->session_id, "b");
}

TEST_P(store_contract, repeated_idempotency_key_is_a_duplicate_key) {
  auto& store = this->store();
  store.insert(with_key("first", "203.0.113.7", "key", 1, "t1"));
  EXPECT_THROW(store.insert(with_key("second", "203.0.113.7", "key", 2, "t2")), duplicate_key);
  auto message = message_of([&] { store.insert(with_key("second", "203.0.113.7", "key", 2, "t2")); });
  EXPECT_TRUE(contains(message, "insert submission"));
  EXPECT_TRUE(contains(lowercase(message), "unique"));
  EXPECT_TRUE(contains(message, "idempotency_key"));
  EXPECT_FALSE(store.find("second"));
  EXPECT_EQ(store.find_by_idempotency_key("203.0.113.7", "key")->session_id, "first");
  // The cached insert statement is still usable after the failure.
  store.insert(with_key("third", "203.0.113.7", "other-key", 3, "t3"));
  EXPECT_TRUE(store.find("third"));
}

TEST_P(store_contract, submissions_without_a_key_never_collide) {
  auto& store = this->store();
  for (int i = 0; i < 5; ++i) {
    submission s = make_submission("plain-" + std::to_string(i), i);
    s.client_key = "203.0.113.7";  // a client without a key is no key
    store.insert(s);
  }
  EXPECT_TRUE(store.find("plain-4"));
  EXPECT_EQ(store.find("plain-4")->client_key, "203.0.113.7");
  EXPECT_FALSE(store.find("plain-4")->idempotency_key);
}

TEST_P(store_contract, idempotency_key_without_a_client_is_refused) {
  auto& store = this->store();
  submission s = make_submission("s", 1);
  s.idempotency_key = "key";
  auto message = message_of([&] { store.insert(s); });
  EXPECT_TRUE(contains(lowercase(message), "check constraint"));
  try {
    store.insert(s);
    ADD_FAILURE() << "no error";
  } catch (const duplicate_key&) {
    ADD_FAILURE() << "a missing client is not a duplicate";
  } catch (const store_error&) {
  }
  EXPECT_FALSE(store.find("s"));
}

TEST_P(store_contract, count_created_since_counts_generations) {
  auto& store = this->store();
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

TEST_P(store_contract, unconfirmed_lists_rows_without_a_task_not_given_up_oldest_first) {
  auto& store = this->store();
  store.insert(make_submission("newer", 20));
  store.insert(make_submission("older", 10));
  store.insert(make_submission("with-task", 5, "t-1"));
  store.insert(make_submission("given-up", 1));
  ASSERT_TRUE(store.give_up_unconfirmed("given-up", "No answer.", at(30)));
  EXPECT_EQ(ids_of(store.unconfirmed()), (std::vector<std::string>{"older", "newer"}));
  EXPECT_EQ(ids_of(store.unfinished()), (std::vector<std::string>{"with-task"}));
}

TEST_P(store_contract, confirm_task_makes_an_unconfirmed_row_a_generation) {
  auto& store = this->store();
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

TEST_P(store_contract, confirm_task_brings_back_a_row_given_up_on) {
  auto& store = this->store();
  store.insert(make_submission("late", 10));
  ASSERT_TRUE(store.give_up_unconfirmed("late", "No answer.", at(20)));
  ASSERT_TRUE(store.confirm_task("late", "t-late", at(30)));
  auto row = store.find("late");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "RECEIVED");
  EXPECT_FALSE(row->completed_at);
  EXPECT_FALSE(row->error);
}

TEST_P(store_contract, confirm_task_with_another_rows_task_id_throws) {
  auto& store = this->store();
  store.insert(make_submission("owner", 10, "t-taken"));
  store.insert(make_submission("lost-answer", 20));
  EXPECT_THROW(store.confirm_task("lost-answer", "t-taken", at(30)), duplicate_key);
  EXPECT_FALSE(store.find("lost-answer")->task_id);
}

TEST_P(store_contract, give_up_unconfirmed_fails_only_a_row_still_without_a_task) {
  auto& store = this->store();
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

TEST_P(store_contract, record_lyrics_round_trips) {
  auto& store = this->store();
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

TEST_P(store_contract, record_lyrics_overwrites) {
  auto& store = this->store();
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

TEST_P(store_contract, record_lyrics_for_unknown_session_returns_false) {
  auto& store = this->store();
  store.insert(make_submission("s", 1, "t"));
  EXPECT_FALSE(store.record_lyrics("other", "words", {"tag"}));
  EXPECT_FALSE(store.record_lyrics("", "words", {}));
  EXPECT_FALSE(store.find("s")->lyrics);
  EXPECT_TRUE(store.find("s")->tags.empty());
}

TEST_P(store_contract, insert_refuses_fewer_than_one_attempt) {
  auto& store = this->store();
  submission s = make_submission("s", 1, "t");
  s.attempts = 0;
  EXPECT_TRUE(contains(lowercase(message_of([&] { store.insert(s); })), "check constraint"));
  EXPECT_FALSE(store.find("s"));
}

TEST_P(store_contract, restart_generation_clears_the_failed_attempt) {
  auto& store = this->store();
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

TEST_P(store_contract, restart_generation_only_from_failure) {
  auto& store = this->store();
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

TEST_P(store_contract, restart_generation_counts_attempts) {
  auto& store = this->store();
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

TEST_P(store_contract, restart_generation_with_another_rows_task_id_throws) {
  auto& store = this->store();
  insert_failed(store, "s", 1, "task-1");
  store.insert(make_submission("other", 2, "task-other"));
  auto before = *store.find("s");

  EXPECT_THROW(store.restart_generation("s", "task-other", at(100)), duplicate_key);
  auto message = message_of([&] { store.restart_generation("s", "task-other", at(100)); });
  EXPECT_TRUE(contains(message, "restart generation"));
  EXPECT_TRUE(contains(lowercase(message), "unique"));
  // Nothing changed, on either row.
  expect_same(*store.find("s"), before);
  EXPECT_EQ(store.find_by_task("task-other")->session_id, "other");

  // The cached statement is still usable after the failure.
  EXPECT_TRUE(store.restart_generation("s", "task-2", at(200)));
  EXPECT_EQ(store.find("s")->attempts, 2);
}

TEST_P(store_contract, unfinished_includes_a_restarted_submission) {
  auto& store = this->store();
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

TEST_P(store_contract, a_lease_has_one_holder_until_it_runs_out) {
  using namespace std::chrono_literals;
  auto& store = this->store();
  store.insert(make_submission("song", 10, "t"));
  EXPECT_TRUE(store.claim("song", "a", "http://a", 60s));
  EXPECT_EQ(store.find("song")->owner, "a");
  EXPECT_EQ(store.find("song")->owner_url, "http://a");
  EXPECT_FALSE(store.claim("song", "b", "http://b", 60s)) << "taken while a's lease holds";
  EXPECT_EQ(store.find("song")->owner, "a");
  EXPECT_TRUE(store.claim("song", "a", "http://a", -1s)) << "the holder renews (here: into the past)";
  EXPECT_TRUE(store.claim("song", "b", "http://b", 60s)) << "a lease that ran out is anyone's";
  EXPECT_EQ(store.find("song")->owner, "b");
  EXPECT_FALSE(store.claim("unknown", "a", "http://a", 60s));
}

TEST_P(store_contract, a_lease_runs_on_the_database_clock_in_milliseconds) {
  using namespace std::chrono_literals;
  auto& store = this->store();
  store.insert(make_submission("song", 10, "t"));
  const auto before = now();
  ASSERT_TRUE(store.claim("song", "a", "http://a", 60s));
  const auto after = now();
  const auto until = store.find("song")->lease_until;
  ASSERT_TRUE(until);
  // The database and this test share a machine: the lease ends a minute after the claim, give or take its clock's
  // resolution.
  EXPECT_GE(*until, before + 59s);
  EXPECT_LE(*until, after + 61s);
}

TEST_P(store_contract, renewing_extends_every_lease_of_its_holder_only) {
  using namespace std::chrono_literals;
  auto& store = this->store();
  for (const char* id : {"s1", "s2", "s3"}) store.insert(make_submission(id, 10, std::string("t-") + id));
  ASSERT_TRUE(store.claim("s1", "a", "http://a", -1s));
  ASSERT_TRUE(store.claim("s2", "a", "http://a", -1s));
  ASSERT_TRUE(store.claim("s3", "b", "http://b", -1s));
  EXPECT_EQ(store.renew_leases("a", 60s), 2u);
  EXPECT_FALSE(store.claim("s1", "c", "http://c", 60s));
  EXPECT_FALSE(store.claim("s2", "c", "http://c", 60s));
  EXPECT_TRUE(store.claim("s3", "c", "http://c", 60s)) << "b's lease was not renewed by a";
  EXPECT_EQ(store.renew_leases("nobody", 60s), 0u);
}

TEST_P(store_contract, only_the_holder_gives_a_lease_back) {
  using namespace std::chrono_literals;
  auto& store = this->store();
  store.insert(make_submission("song", 10, "t"));
  ASSERT_TRUE(store.claim("song", "a", "http://a", 60s));
  EXPECT_FALSE(store.release("song", "b"));
  EXPECT_EQ(store.find("song")->owner, "a");
  EXPECT_TRUE(store.release("song", "a"));
  EXPECT_FALSE(store.find("song")->owner);
  EXPECT_FALSE(store.find("song")->lease_until);
  EXPECT_TRUE(store.claim("song", "b", "http://b", 60s));
}

TEST_P(store_contract, a_lease_on_a_song_whose_work_ended_is_not_renewed) {
  using namespace std::chrono_literals;
  auto& store = this->store();
  store.insert(make_submission("working", 1, "t-working"));
  store.insert(make_submission("failed", 2, "t-failed"));
  ASSERT_TRUE(store.claim("working", "a", "http://a", -1s));
  ASSERT_TRUE(store.claim("failed", "a", "http://a", -1s));
  store.record_status("failed", {.status = "FAILURE", .completed_at = at(3), .error = "x"});
  EXPECT_EQ(store.renew_leases("a", 60s), 1u);
  EXPECT_TRUE(store.claim("failed", "b", "http://b", 60s)) << "its lease ran out unrenewed";
  EXPECT_FALSE(store.claim("working", "b", "http://b", 60s));
}

TEST_P(store_contract, release_all_gives_back_every_lease_of_one_holder) {
  using namespace std::chrono_literals;
  auto& store = this->store();
  for (const char* id : {"s1", "s2", "s3"}) store.insert(make_submission(id, 10, std::string("t-") + id));
  ASSERT_TRUE(store.claim("s1", "a", "http://a", 60s));
  ASSERT_TRUE(store.claim("s2", "a", "http://a", 60s));
  ASSERT_TRUE(store.claim("s3", "b", "http://b", 60s));
  EXPECT_EQ(store.release_all("a"), 2u);
  EXPECT_EQ(ids_of(store.unowned_work()), (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(store.find("s3")->owner, "b");
}

TEST_P(store_contract, a_retry_gives_the_lease_back) {
  using namespace std::chrono_literals;
  auto& store = this->store();
  store.insert(make_submission("again", 1, "t-first"));
  ASSERT_TRUE(store.claim("again", "a", "http://a", 60s));
  store.record_status("again", {.status = "FAILURE", .completed_at = at(2), .error = "x"});
  ASSERT_TRUE(store.restart_generation("again", "t-second", at(3)));
  EXPECT_FALSE(store.find("again")->owner);
  EXPECT_TRUE(store.claim("again", "b", "http://b", 60s));
}

TEST_P(store_contract, confirming_a_task_gives_the_lease_back) {
  using namespace std::chrono_literals;
  auto& store = this->store();
  store.insert(make_submission("lost", 1));
  ASSERT_TRUE(store.claim("lost", "a", "http://a", 60s));
  ASSERT_TRUE(store.confirm_task("lost", "t-found", at(2)));
  EXPECT_FALSE(store.find("lost")->owner);
  EXPECT_TRUE(store.claim("lost", "b", "http://b", 60s)) << "the instance the webhook reached takes it";
}

TEST_P(store_contract, unowned_work_lists_songs_with_work_left_that_nobody_holds) {
  using namespace std::chrono_literals;
  auto& store = this->store();
  store.insert(make_submission("free", 1, "t-free"));
  store.insert(make_submission("held", 2, "t-held"));
  ASSERT_TRUE(store.claim("held", "a", "http://a", 60s));
  store.insert(make_submission("expired", 3, "t-expired"));
  ASSERT_TRUE(store.claim("expired", "a", "http://a", -1s));
  store.insert(make_submission("unconfirmed", 4));
  store.insert(make_submission("awaiting", 5, "t-awaiting"));
  store.record_status("awaiting", {.status = "SUCCESS", .completed_at = at(6)});
  store.insert(make_submission("live-only", 6, "t-live"));
  store.record_status("live-only", {.status = "SUCCESS", .completed_at = at(7)});
  store.record_archive("live-only", make_archive("live"));
  store.insert(make_submission("done", 7, "t-done"));
  store.record_status("done", {.status = "SUCCESS", .completed_at = at(8)});
  store.record_archive("done", make_archive("cdn"));
  store.insert(make_submission("failed", 8, "t-failed"));
  store.record_status("failed", {.status = "FAILURE", .completed_at = at(9), .error = "x"});
  store.insert(make_submission("given-up", 9, "t-given-up"));
  store.record_status("given-up", {.status = "SUCCESS", .completed_at = at(10)});
  store.give_up_final_copy("given-up", at(11));
  EXPECT_EQ(ids_of(store.unowned_work()),
            (std::vector<std::string>{"free", "expired", "unconfirmed", "awaiting", "live-only"}));
}

TEST_P(store_contract, erase_leaves_a_tombstone_that_no_later_write_revives) {
  auto& store = this->store();
  submission song = make_submission("session-gone", 1000, "task-gone");
  song.sender = "Ana";
  song.recipient = "Ben";
  song.idempotency_key = "key-gone";
  song.client_key = "198.51.100.7";
  song.own_lyrics = "our own words, sung";
  store.insert(song);
  ASSERT_TRUE(store.record_lyrics("session-gone", "la la la", {"love"}));
  ASSERT_TRUE(store.record_archive("session-gone", {"live", 10, std::string(64, 'a'), 1000, at(1500)}));

  EXPECT_TRUE(store.erase("session-gone", at(2000)));
  EXPECT_FALSE(store.erase("session-gone", at(3000))) << "erased twice";
  EXPECT_FALSE(store.erase("nobody", at(2000)));
  const auto gone = store.find("session-gone");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->deleted_at, at(2000));
  EXPECT_EQ(gone->sender, "");
  EXPECT_EQ(gone->recipient, "");
  EXPECT_EQ(gone->story, "");
  EXPECT_EQ(gone->prompt, "");
  EXPECT_FALSE(gone->lyrics);
  EXPECT_FALSE(gone->own_lyrics);
  EXPECT_TRUE(gone->tags.empty());
  EXPECT_FALSE(gone->archive);
  EXPECT_FALSE(gone->idempotency_key);
  EXPECT_FALSE(store.find_by_idempotency_key("198.51.100.7", "key-gone"));
  EXPECT_TRUE(gone->completed_at);
  // No work left, and nothing brings the song back.
  EXPECT_TRUE(store.unfinished().empty());
  EXPECT_TRUE(store.awaiting_final_copy().empty());
  EXPECT_TRUE(store.unowned_work().empty());
  EXPECT_FALSE(store.record_lyrics("session-gone", "again", {}));
  EXPECT_FALSE(store.record_status("session-gone", {"SUCCESS", std::nullopt, at(4000), std::nullopt}));
  EXPECT_FALSE(store.claim("session-gone", "instance-a", "http://a", std::chrono::seconds(10)));
  store.record_archive("session-gone", {"cdn", 10, std::string(64, 'b'), 1000, at(4500)});
  EXPECT_FALSE(store.find("session-gone")->archive) << "an archive record came back";
  EXPECT_FALSE(store.find("session-gone")->lyrics);

  submission failed = make_submission("session-failed", 1100, "task-failed");
  failed.status = "FAILURE";
  failed.completed_at = at(1200);
  store.insert(failed);
  ASSERT_TRUE(store.erase("session-failed", at(2000)));
  EXPECT_FALSE(store.restart_generation("session-failed", "task-again", at(3000)));

  submission unconfirmed = make_submission("session-unconfirmed", 1300);
  store.insert(unconfirmed);
  ASSERT_TRUE(store.erase("session-unconfirmed", at(2000)));
  EXPECT_FALSE(store.confirm_task("session-unconfirmed", "task-late", at(3000)));
  EXPECT_TRUE(store.unconfirmed().empty());
}

INSTANTIATE_TEST_SUITE_P(stores, store_contract, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace serenade::store
