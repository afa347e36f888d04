#include "store/pg_store.hpp"

#include "store/columns.hpp"
#include "store/pg_migrations.hpp"

namespace serenade::store {

namespace {

// Every query that returns whole submissions starts here; the column order is what read_submission expects.
constexpr std::string_view select_submissions = R"sql(
SELECT session_id, created_at, sender, recipient, story, style, prompt, task_id, status,
       streaming_ready_at, completed_at, error, updated_at,
       archive_source, archive_size, archive_sha256, archive_duration_ms, archived_at,
       idempotency_key, client_key, lyrics, tags::text, attempts, own_lyrics, owner, lease_until, owner_url, deleted_at
FROM submissions )sql";

// Storing a song (or restarting one) ends the generating slot reserved for its create (store/pg_limits): its row
// holds the slot from now on.
const std::string end_reservation = R"sql(
WITH reservation_ended AS (DELETE FROM serenade_generating_holds WHERE session_id = $1)
)sql";

const std::string insert_sql = end_reservation + R"sql(
INSERT INTO submissions (session_id, created_at, sender, recipient, story, style, prompt, task_id, status,
                         streaming_ready_at, completed_at, error, updated_at,
                         archive_source, archive_size, archive_sha256, archive_duration_ms, archived_at,
                         idempotency_key, client_key, lyrics, tags, attempts, own_lyrics)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
        $22::jsonb, $23, $24)
)sql";

// The milestones keep their first value (COALESCE), so replayed or late updates never move them. An empty status
// leaves the stored one alone.
const std::string record_status_sql = R"sql(
UPDATE submissions SET
  status = COALESCE(NULLIF($2, ''), status),
  streaming_ready_at = COALESCE(streaming_ready_at, $3::bigint),
  completed_at = COALESCE(completed_at, $4::bigint),
  error = COALESCE($5, error),
  updated_at = $6
WHERE session_id = $1 AND deleted_at IS NULL
)sql";

// A "live" copy never replaces a "cdn" one; when no row changes, session_exists_sql tells which case it was.
const std::string record_archive_sql = R"sql(
UPDATE submissions SET
  archive_source = $2, archive_size = $3, archive_sha256 = $4, archive_duration_ms = $5, archived_at = $6,
  updated_at = $7
WHERE session_id = $1 AND deleted_at IS NULL AND NOT (archive_source IS NOT DISTINCT FROM 'cdn' AND $2 = 'live')
)sql";

const std::string session_exists_sql = "SELECT 1 FROM submissions WHERE session_id = $1";

const std::string give_up_final_copy_sql = R"sql(
UPDATE submissions SET final_copy_given_up_at = COALESCE(final_copy_given_up_at, $2::bigint), updated_at = $3
WHERE session_id = $1
)sql";

const std::string record_lyrics_sql = R"sql(
UPDATE submissions SET lyrics = $2, tags = $3::jsonb, updated_at = $4 WHERE session_id = $1 AND deleted_at IS NULL
)sql";

const std::string restart_generation_sql = end_reservation + R"sql(
UPDATE submissions SET
  task_id = $2, status = 'RECEIVED', streaming_ready_at = NULL, completed_at = NULL, error = NULL,
  lyrics = NULL, tags = '[]', archive_source = NULL, archive_size = NULL, archive_sha256 = NULL,
  archive_duration_ms = NULL, archived_at = NULL, final_copy_given_up_at = NULL, attempts = attempts + 1,
  updated_at = $3, owner = NULL, lease_until = NULL
WHERE session_id = $1 AND status = 'FAILURE' AND deleted_at IS NULL
)sql";

const std::string erase_sql = R"sql(
UPDATE submissions SET
  sender = '', recipient = '', story = '', style = '', prompt = '', lyrics = NULL, own_lyrics = NULL, tags = '[]',
  error = NULL, idempotency_key = NULL, client_key = NULL,
  archive_source = NULL, archive_size = NULL, archive_sha256 = NULL, archive_duration_ms = NULL, archived_at = NULL,
  completed_at = COALESCE(completed_at, $2::bigint), final_copy_given_up_at = COALESCE(final_copy_given_up_at, $2::bigint),
  owner = NULL, lease_until = NULL, owner_url = NULL, deleted_at = $2::bigint, updated_at = $2::bigint
WHERE session_id = $1 AND deleted_at IS NULL
)sql";

const std::string confirm_task_sql = R"sql(
UPDATE submissions SET task_id = $2, status = 'RECEIVED', completed_at = NULL, error = NULL, updated_at = $3,
  owner = NULL, lease_until = NULL
WHERE session_id = $1 AND task_id IS NULL AND deleted_at IS NULL
)sql";

const std::string give_up_unconfirmed_sql = R"sql(
UPDATE submissions SET status = 'FAILURE', completed_at = $3, error = $2, updated_at = $3
WHERE session_id = $1 AND task_id IS NULL AND completed_at IS NULL
)sql";

using pg::database_now;

const std::string claim_sql = "UPDATE submissions SET owner = $2, owner_url = $4, lease_until = " + database_now +
                              " + $3 WHERE session_id = $1 AND deleted_at IS NULL AND (owner IS NULL OR owner = $2 OR lease_until IS NULL "
                              "OR lease_until < " + database_now + ")";

// Which songs have background work left; the partial index submissions_work holds exactly these rows.
const std::string has_work = R"sql((completed_at IS NULL OR (status = 'SUCCESS' AND (archive_source IS NULL OR archive_source = 'live')
    AND final_copy_given_up_at IS NULL)))sql";

const std::string renew_leases_sql =
    "UPDATE submissions SET lease_until = " + database_now + " + $2 WHERE owner = $1 AND " + has_work;

const std::string release_all_sql = "UPDATE submissions SET owner = NULL, lease_until = NULL WHERE owner = $1";

const std::string release_sql = "UPDATE submissions SET owner = NULL, lease_until = NULL WHERE session_id = $1 AND owner = $2";

const std::string unowned_work_where = "WHERE " + has_work + R"sql(
  AND (owner IS NULL OR lease_until IS NULL OR lease_until < )sql" + database_now + R"sql()
ORDER BY created_at, session_id
)sql";

submission read_submission(const pg::rows& r, int row) {
  submission s;
  s.session_id = r.text(row, 0);
  s.created_at = r.time(row, 1);
  s.sender = r.text(row, 2);
  s.recipient = r.text(row, 3);
  s.story = r.text(row, 4);
  s.style = r.text(row, 5);
  s.prompt = r.text(row, 6);
  s.task_id = r.optional_text(row, 7);
  s.status = r.text(row, 8);
  s.streaming_ready_at = r.optional_time(row, 9);
  s.completed_at = r.optional_time(row, 10);
  s.error = r.optional_text(row, 11);
  s.updated_at = r.time(row, 12);
  if (!r.is_null(row, 13)) {
    archived_song& a = s.archive.emplace();
    a.source = r.text(row, 13);
    a.size = static_cast<std::uint64_t>(r.number(row, 14));
    a.sha256 = r.text(row, 15);
    a.duration_ms = r.number(row, 16);
    a.archived_at = r.time(row, 17);
  }
  s.idempotency_key = r.optional_text(row, 18);
  s.client_key = r.optional_text(row, 19);
  s.lyrics = r.optional_text(row, 20);
  s.tags = tags_from_json(r.text(row, 21), s.session_id);
  s.attempts = static_cast<int>(r.number(row, 22));
  s.own_lyrics = r.optional_text(row, 23);
  s.owner = r.optional_text(row, 24);
  s.lease_until = r.optional_time(row, 25);
  s.owner_url = r.optional_text(row, 26);
  s.deleted_at = r.optional_time(row, 27);
  return s;
}

void add_archive(pg::parameters& p, const archived_song& song, std::string_view operation) {
  p.text(song.source).number(archive_size(song, operation)).text(song.sha256).number(song.duration_ms).time(
      song.archived_at);
}

}  // namespace

pg_store::pg_store(const std::string& url, std::size_t connections) : pool_(url, connections) {
  auto c = pool_.borrow();
  pg::migrate(c.get(), pg::schema_migrations());
}

pg_store::~pg_store() = default;

pg::rows pg_store::run(std::string_view operation, const std::string& sql, const pg::parameters& p) {
  return pg::on_a_connection(pool_, [&](pg_conn* c) { return pg::run(c, operation, sql, p); });
}

std::vector<submission> pg_store::select(std::string_view operation, const std::string& where,
                                         const pg::parameters& p) {
  auto found = run(operation, std::string(select_submissions) + where, p);
  std::vector<submission> out;
  out.reserve(static_cast<std::size_t>(found.count()));
  for (int row = 0; row < found.count(); ++row) out.push_back(read_submission(found, row));
  return out;
}

std::optional<submission> pg_store::select_one(std::string_view operation, const std::string& where,
                                               const pg::parameters& p) {
  auto found = select(operation, where, p);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

void pg_store::insert(const submission& s) {
  constexpr std::string_view operation = "insert submission";
  pg::parameters p;
  p.text(s.session_id).time(s.created_at).text(s.sender).text(s.recipient).text(s.story).text(s.style);
  p.text(s.prompt).text(s.task_id).text(s.status).time(s.streaming_ready_at).time(s.completed_at).text(s.error);
  p.time(s.updated_at);
  if (s.archive) {
    add_archive(p, *s.archive, operation);
  } else {
    p.null().null().null().null().null();
  }
  p.text(s.idempotency_key).text(s.client_key).text(s.lyrics).text(tags_to_json(s.tags)).number(s.attempts);
  p.text(s.own_lyrics);
  run(operation, insert_sql, p);
}

std::optional<submission> pg_store::find(std::string_view session_id) {
  return select_one("find submission", "WHERE session_id = $1", pg::parameters().text(session_id));
}

std::optional<submission> pg_store::find_by_task(std::string_view task_id) {
  return select_one("find submission by task", "WHERE task_id = $1", pg::parameters().text(task_id));
}

std::optional<submission> pg_store::find_by_idempotency_key(std::string_view client_key,
                                                            std::string_view idempotency_key) {
  return select_one("find submission by idempotency key", "WHERE client_key = $1 AND idempotency_key = $2",
                    pg::parameters().text(client_key).text(idempotency_key));
}

std::uint64_t pg_store::count_created_since(time_point since) {
  auto found = run("count submissions created since", "SELECT COUNT(*) FROM submissions WHERE created_at >= $1",
                   pg::parameters().time(since));
  return static_cast<std::uint64_t>(found.number(0, 0));
}

bool pg_store::record_status(std::string_view session_id, const status_update& update) {
  pg::parameters p;
  p.text(session_id).text(update.status).time(update.streaming_ready_at).time(update.completed_at);
  p.text(update.error).time(now());
  return run("record status", record_status_sql, p).affected() > 0;
}

std::vector<submission> pg_store::unfinished() {
  return select("list unfinished submissions",
                "WHERE task_id IS NOT NULL AND completed_at IS NULL ORDER BY created_at, session_id", {});
}

bool pg_store::record_archive(std::string_view session_id, const archived_song& song) {
  constexpr std::string_view operation = "record archive";
  pg::parameters p;
  p.text(session_id);
  add_archive(p, song, operation);
  p.time(now());
  if (run(operation, record_archive_sql, p).affected() > 0) return true;
  return run(operation, session_exists_sql, pg::parameters().text(session_id)).count() > 0;
}

std::vector<submission> pg_store::awaiting_final_copy() {
  return select("list songs awaiting their final copy",
                "WHERE status = 'SUCCESS' AND (archive_source IS NULL OR archive_source = 'live') "
                "AND final_copy_given_up_at IS NULL ORDER BY created_at, session_id",
                {});
}

bool pg_store::give_up_final_copy(std::string_view session_id, time_point at) {
  return run("give up final copy", give_up_final_copy_sql, pg::parameters().text(session_id).time(at).time(now()))
             .affected() > 0;
}

bool pg_store::record_lyrics(std::string_view session_id, const std::string& lyrics,
                             const std::vector<std::string>& tags) {
  pg::parameters p;
  p.text(session_id).text(lyrics).text(tags_to_json(tags)).time(now());
  return run("record lyrics", record_lyrics_sql, p).affected() > 0;
}

bool pg_store::erase(std::string_view session_id, time_point at) {
  return run("erase submission", erase_sql, pg::parameters().text(session_id).time(at)).affected() > 0;
}

bool pg_store::restart_generation(std::string_view session_id, std::string_view new_task_id, time_point now) {
  pg::parameters p;
  p.text(session_id).text(new_task_id).time(now);
  return run("restart generation", restart_generation_sql, p).affected() > 0;
}

std::vector<submission> pg_store::unconfirmed() {
  return select("list unconfirmed submissions",
                "WHERE task_id IS NULL AND completed_at IS NULL ORDER BY created_at, session_id", {});
}

bool pg_store::confirm_task(std::string_view session_id, std::string_view task_id, time_point now) {
  pg::parameters p;
  p.text(session_id).text(task_id).time(now);
  return run("confirm task", confirm_task_sql, p).affected() > 0;
}

bool pg_store::give_up_unconfirmed(std::string_view session_id, const std::string& error, time_point at) {
  pg::parameters p;
  p.text(session_id).text(error).time(at);
  return run("give up unconfirmed", give_up_unconfirmed_sql, p).affected() > 0;
}

bool pg_store::claim(std::string_view session_id, std::string_view owner, std::string_view owner_url,
                     std::chrono::milliseconds lease) {
  pg::parameters p;
  p.text(session_id).text(owner).number(lease.count()).text(owner_url);
  return run("claim lease", claim_sql, p).affected() > 0;
}

std::uint64_t pg_store::renew_leases(std::string_view owner, std::chrono::milliseconds lease) {
  return run("renew leases", renew_leases_sql, pg::parameters().text(owner).number(lease.count())).affected();
}

bool pg_store::release(std::string_view session_id, std::string_view owner) {
  return run("release lease", release_sql, pg::parameters().text(session_id).text(owner)).affected() > 0;
}

std::uint64_t pg_store::release_all(std::string_view owner) {
  return run("release all leases", release_all_sql, pg::parameters().text(owner)).affected();
}

std::vector<submission> pg_store::unowned_work() { return select("list unowned work", unowned_work_where, {}); }

int pg_store::schema_version() {
  return pg::on_a_connection(pool_, [](pg_conn* c) { return pg::read_schema_version(c); });
}

}  // namespace serenade::store
