// pg_store's shared_limits: the guards of lifecycle/guards.hpp over the tables of schema 9. One advisory lock per
// transaction makes admissions take turns over every instance, so each check reads what it then writes without a
// race; an admission is a handful of indexed statements, so the turn is short.
#include "store/pg_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace serenade::store {

namespace {

constexpr const char* admission_lock_sql = "SELECT pg_advisory_xact_lock(7265737)";  // any constant, everywhere the same
constexpr std::int64_t day_ms = 86'400'000;
constexpr std::chrono::seconds generating_cap_retry_after{30};

bool bucket_on(const limit_settings& l) { return l.submit_burst > 0 && l.submits_per_hour > 0; }
double refill_per_ms(const limit_settings& l) { return l.submits_per_hour / 3'600'000.0; }

// A refusal always asks for at least one second: "Retry-After: 0" would invite an immediate retry.
std::chrono::seconds wait_of(double ms) {
  return std::chrono::seconds{std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(ms / 1000.0)))};
}

struct daily_scope {
  std::string scope;
  unsigned limit;
  limit_refused refusal;
};

// The day's spends an admission takes, in the order they are checked; a disabled limit or an empty range is none.
std::vector<daily_scope> daily_scopes(const limit_spend& who, const limit_settings& l) {
  std::vector<daily_scope> scopes;
  if (l.client_daily > 0 && !who.client.empty()) {
    scopes.push_back({"client:" + who.client, l.client_daily, limit_refused::client_daily});
  }
  if (l.network_daily > 0 && !who.network.empty()) {
    scopes.push_back({"network:" + who.network, l.network_daily, limit_refused::network_daily});
  }
  if (l.daily_budget > 0) scopes.push_back({"budget", l.daily_budget, limit_refused::daily_budget});
  return scopes;
}

class admission_turn {
 public:
  admission_turn(pg_conn* c, const limit_settings& limits) : c_(c), limits_(limits) {
    pg::run(c_, "admission lock", admission_lock_sql);
    now_ms_ = pg::run(c_, "admission clock", "SELECT " + pg::database_now).number(0, 0);
  }

  std::int64_t now_ms() const { return now_ms_; }
  std::int64_t today() const { return now_ms_ / day_ms; }

  // The time until the client's next token, or nothing when a token was taken.
  std::optional<std::chrono::seconds> take_token(const std::string& client) {
    if (!bucket_on(limits_) || client.empty()) return std::nullopt;
    const double capacity = limits_.submit_burst;
    double tokens = capacity;
    auto found = pg::run(c_, "read client bucket", "SELECT tokens, updated_ms FROM serenade_client_buckets WHERE client = $1",
                         pg::parameters().text(client));
    if (found.count() > 0) {
      const auto elapsed = std::max<std::int64_t>(0, now_ms_ - found.number(0, 1));
      tokens = std::min(capacity, std::stod(found.text(0, 0)) + elapsed * refill_per_ms(limits_));
    }
    if (tokens < 1.0) return wait_of((1.0 - tokens) / refill_per_ms(limits_));
    write_bucket(client, tokens - 1.0);
    return std::nullopt;
  }

  void give_token_back(const std::string& client) {
    if (!bucket_on(limits_) || client.empty()) return;
    pg::run(c_, "give token back",
            "UPDATE serenade_client_buckets SET tokens = LEAST($2::float8, tokens + 1) WHERE client = $1",
            pg::parameters().text(client).text(fmt::format("{}", limits_.submit_burst)));
  }

  // Songs whose generation has not ended, and creates holding a slot until their song is stored (a new song's
  // insert or a retry's restart ends the reservation: pg_store.cpp).
  bool generating_full() {
    if (limits_.max_generating == 0) return false;
    const auto generating = pg::run(c_, "count generating", R"sql(
SELECT (SELECT count(*) FROM submissions WHERE completed_at IS NULL)
     + (SELECT count(*) FROM serenade_generating_holds))sql");
    return generating.number(0, 0) >= static_cast<std::int64_t>(limits_.max_generating);
  }

  void hold_generating(const std::string& session_id, std::chrono::milliseconds reservation) {
    pg::run(c_, "hold generating slot", R"sql(
INSERT INTO serenade_generating_holds (session_id, until_ms) VALUES ($1, $2)
ON CONFLICT (session_id) DO UPDATE SET until_ms = EXCLUDED.until_ms)sql",
            pg::parameters().text(session_id).number(now_ms_ + reservation.count()));
  }

  bool spent_out(const daily_scope& d) {
    auto found = pg::run(c_, "read daily spend", "SELECT spent FROM serenade_daily_spend WHERE day = $1 AND scope = $2",
                         pg::parameters().number(today()).text(d.scope));
    return found.count() > 0 && found.number(0, 0) >= static_cast<std::int64_t>(d.limit);
  }

  void spend(const daily_scope& d) {
    pg::run(c_, "spend", R"sql(
INSERT INTO serenade_daily_spend AS d (day, scope, spent) VALUES ($1, $2, 1)
ON CONFLICT (day, scope) DO UPDATE SET spent = d.spent + 1)sql",
            pg::parameters().number(today()).text(d.scope));
  }

  std::chrono::seconds until_tomorrow() const { return wait_of(static_cast<double>((today() + 1) * day_ms - now_ms_)); }

  // What nobody needs any more: full buckets (one is the same as none), ended reservations, past days.
  void forget_the_past() {
    pg::run(c_, "forget ended reservations", "DELETE FROM serenade_generating_holds WHERE until_ms < $1",
            pg::parameters().number(now_ms_));
    pg::run(c_, "forget past spends", "DELETE FROM serenade_daily_spend WHERE day < $1",
            pg::parameters().number(today() - 1));
    if (bucket_on(limits_)) {
      const auto refill_ms = static_cast<std::int64_t>(std::ceil(limits_.submit_burst / refill_per_ms(limits_)));
      pg::run(c_, "forget full buckets", "DELETE FROM serenade_client_buckets WHERE updated_ms < $1",
              pg::parameters().number(now_ms_ - refill_ms));
    }
  }

 private:
  void write_bucket(const std::string& client, double tokens) {
    pg::run(c_, "take client token", R"sql(
INSERT INTO serenade_client_buckets (client, tokens, updated_ms) VALUES ($1, $2::float8, $3)
ON CONFLICT (client) DO UPDATE SET tokens = EXCLUDED.tokens, updated_ms = EXCLUDED.updated_ms)sql",
            pg::parameters().text(client).text(fmt::format("{}", tokens)).number(now_ms_));
  }

  pg_conn* c_;
  const limit_settings& limits_;
  std::int64_t now_ms_ = 0;
};

limit_decision refused(limit_refused by, std::chrono::seconds wait) { return {by, wait, 0}; }

}  // namespace

limit_decision pg_store::admit(const limit_spend& who, const limit_settings& limits,
                               std::chrono::milliseconds reservation) {
  return pg::on_a_connection(pool_, [&](pg_conn* c) {
    return pg::in_transaction(c, "admit", [&]() -> limit_decision {
      admission_turn turn(c, limits);
      turn.forget_the_past();
      // A refusal below throws nothing: what the transaction wrote so far is rolled back by returning through
      // `decline`, so a refused request holds nothing.
      const auto decline = [&](limit_decision d) {
        pg::run_script(c, "admit", "ROLLBACK TO SAVEPOINT before_admission");
        return d;
      };
      pg::run_script(c, "admit", "SAVEPOINT before_admission");
      if (const auto wait = turn.take_token(who.client)) return decline(refused(limit_refused::client_rate, *wait));
      if (turn.generating_full()) return decline(refused(limit_refused::generating_cap, generating_cap_retry_after));
      const auto scopes = daily_scopes(who, limits);
      for (const auto& d : scopes) {
        if (turn.spent_out(d)) return decline(refused(d.refusal, turn.until_tomorrow()));
      }
      for (const auto& d : scopes) turn.spend(d);
      turn.hold_generating(who.reservation, reservation);
      return limit_decision{std::nullopt, std::chrono::seconds{0}, turn.today()};
    });
  });
}

void pg_store::give_back(const limit_spend& spent, const limit_settings& limits, bool may_exist_upstream) {
  pg::on_a_connection(pool_, [&](pg_conn* c) {
    return pg::in_transaction(c, "give back", [&] {
      admission_turn turn(c, limits);
      pg::run(c, "end reservation", "DELETE FROM serenade_generating_holds WHERE session_id = $1",
              pg::parameters().text(spent.reservation));
      if (may_exist_upstream) return 0;
      turn.give_token_back(spent.client);
      for (const auto& d : daily_scopes(spent, limits)) {
        pg::run(c, "refund", "UPDATE serenade_daily_spend SET spent = spent - 1 WHERE day = $1 AND scope = $2 AND spent > 0",
                pg::parameters().number(spent.utc_day).text(d.scope));
      }
      return 0;
    });
  });
}

bool pg_store::claim_idempotency_key(std::string_view client_key, std::string_view idempotency_key,
                                     std::chrono::milliseconds hold) {
  static const std::string claim_sql = R"sql(
INSERT INTO serenade_idempotency_claims AS k (client_key, idempotency_key, until_ms) VALUES ($1, $2, )sql" +
                                      pg::database_now + R"sql( + $3)
ON CONFLICT (client_key, idempotency_key) DO UPDATE SET until_ms = EXCLUDED.until_ms
WHERE k.until_ms < )sql" + pg::database_now;
  return run("claim idempotency key", claim_sql,
             pg::parameters().text(client_key).text(idempotency_key).number(hold.count()))
             .affected() > 0;
}

void pg_store::release_idempotency_key(std::string_view client_key, std::string_view idempotency_key) {
  run("release idempotency key", "DELETE FROM serenade_idempotency_claims WHERE client_key = $1 AND idempotency_key = $2",
      pg::parameters().text(client_key).text(idempotency_key));
}

}  // namespace serenade::store
