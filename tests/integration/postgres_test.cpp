// Serenade on PostgreSQL (DATABASE_URL=postgresql://…): a song goes from the form to the archive and survives a
// restart; an unreachable server or a newer schema stops the start with a sentence; while the database is away
// requests get an honest 503, and the service recovers by itself when it is back.
#include "harness.hpp"
#include "store/pg_connection.hpp"
#include "store/pg_store.hpp"
#include "store/testing/postgres_database.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>

namespace serenade::testing {
namespace {

TEST(postgres, a_song_is_made_played_archived_and_kept_across_a_restart) {
  store::postgres_database db;
  stack s({}, {"--database", db.url()});
  const auto session = s.submit("on-postgres");
  const auto done = s.wait_for_state(session, is_complete, 30s);
  EXPECT_EQ(done.at("status").as_string(), "SUCCESS");
  const auto task = s.task_for("on-postgres");
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1), 30s);
  ASSERT_EQ(s.server().terminate(20s), 0);
  s.start_server();
  const auto again = s.api("GET", "/api/submissions/" + session).json().as_object();
  EXPECT_EQ(again.at("status").as_string(), "SUCCESS");
  const auto song = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(song.status, 200u);
  EXPECT_EQ(song.body, s.simulator_final(task));
  EXPECT_NE(s.server().log().find("schema_version=10"), std::string::npos);
}

TEST(postgres, an_unreachable_server_stops_the_start_with_a_sentence) {
  const auto dir = make_temp_dir();
  process server({SERENADE_BINARY, "serve", "--listen", "127.0.0.1:0", "--database",
                  "postgresql://serenade:not-this-password@/serenade?host=" + dir + "/no-such-socket",
                  "--archive-dir", dir + "/archive"},
                 {}, dir + "/server.log");
  wait_until([&] { return !server.running(); }, [] { return std::string("the server started anyway"); });
  EXPECT_EQ(server.terminate(std::chrono::seconds(1)), 1);
  const auto log = server.log();
  EXPECT_NE(log.find("cannot connect to PostgreSQL"), std::string::npos) << log;
  EXPECT_EQ(log.find("not-this-password"), std::string::npos) << "the password was repeated";
}

TEST(postgres, a_schema_newer_than_this_serenade_is_refused_at_start) {
  store::postgres_database db;
  {
    auto c = store::pg::connect(db.url());
    store::pg::run_script(c.get(), "future schema",
                          "CREATE TABLE serenade_schema (version INTEGER NOT NULL); "
                          "INSERT INTO serenade_schema VALUES (99)");
  }
  const auto dir = make_temp_dir();
  process server({SERENADE_BINARY, "serve", "--listen", "127.0.0.1:0", "--database", db.url(), "--archive-dir",
                  dir + "/archive"},
                 {}, dir + "/server.log");
  wait_until([&] { return !server.running(); }, [] { return std::string("the server started anyway"); });
  EXPECT_EQ(server.terminate(std::chrono::seconds(1)), 1);
  EXPECT_NE(server.log().find("database schema version 99 is newer than this Serenade (10)"), std::string::npos)
      << server.log();
}

// The cluster is shared by the run, and this test stops it: integration tests run one at a time. The song being
// written while the database is away is finished and archived once it is back: its follower's writes wait.
TEST(postgres, while_the_database_is_away_requests_get_503_and_it_recovers_by_itself) {
  store::postgres_database db;
  stack s({.song_seconds = 8, .speed = 2, .ready_after = 1}, {"--database", db.url()});
  const auto session = s.submit("outage");
  const auto task = s.task_for("outage");
  s.wait_for_state(session, is_stream_ready, 30s);
  halt_postgres();
  const auto during = s.api("GET", "/api/submissions/" + session);
  const auto submit_during =
      s.api("POST", "/api/submissions", form_json("Ana", "Ben", story_with("during-outage"), "pop"),
            {{"Content-Type", "application/json"}});
  const auto sim_status = [&] { return std::string(s.sim("GET", "/_sim/tasks/" + task).json().at("status").as_string()); };
  wait_until([&] { return sim_status() == "SUCCESS"; }, [&] { return "simulator at " + sim_status(); }, 30s);
  resume_postgres();
  EXPECT_EQ(during.status, 503u) << during.body;
  EXPECT_EQ(during.header("retry-after"), "5");
  EXPECT_EQ(during.json().at("detail").as_string(),
            "Serenade cannot reach its database for a moment. Please try again shortly.");
  EXPECT_EQ(submit_during.status, 503u) << submit_during.body;
  EXPECT_EQ(s.wait_for_state(session, is_complete, 30s).at("status").as_string(), "SUCCESS");
  s.wait_for_metric("serenade_finalisations_total{outcome=\"ok\"}", exactly(1), 30s);
  const auto song = s.api("GET", "/api/stream/" + session);
  EXPECT_EQ(song.status, 200u);
  EXPECT_EQ(song.body, s.simulator_final(task));
  EXPECT_NE(s.server().log().find("event=store_unavailable"), std::string::npos);
  const auto next = s.submit("after-outage");
  EXPECT_EQ(s.wait_for_state(next, is_complete, 30s).at("status").as_string(), "SUCCESS");
  EXPECT_EQ(s.sim("GET", "/_sim/stats").json().at("creates").as_int64(), 2)
      << "the submit answered 503 reached the music service (its guards are in the database)";
}

// The connection kept idle across a server restart is broken; the first call after the restart must not fail
// for it (its statement never reached a backend), while a call with the server away says so.
TEST(postgres, the_first_call_after_a_server_restart_succeeds_and_one_while_it_is_away_is_unavailable) {
  store::postgres_database db;
  store::pg_store kept(db.url(), 1);
  EXPECT_FALSE(kept.find("nobody"));  // the one connection is open, and idle from now on
  halt_postgres();
  EXPECT_THROW(kept.find("nobody"), store::store_unavailable);
  resume_postgres();
  EXPECT_FALSE(kept.find("nobody"));
  EXPECT_FALSE(kept.find("nobody"));
  halt_postgres();
  resume_postgres();
  EXPECT_EQ(kept.schema_version(), 10) << "schema_version borrows its own connection";
}

}  // namespace
}  // namespace serenade::testing
