#pragma once
// PostgreSQL implementation of submission_store, for several Serenade instances sharing one database. The same
// semantics as sqlite_store (the store contract tests run against both); blocking libpq calls on a small pool of
// connections, so like every store it is called from core/blocking_pool threads only. A connection lost with the
// server is replaced on the next call: while the server is away calls throw store_error, then it recovers by itself.
#include "store/pg_connection.hpp"
#include "store/shared_limits.hpp"
#include "store/submission_store.hpp"

namespace serenade::store {

class pg_store final : public submission_store, public shared_limits {
 public:
  // `url`: postgres://… or postgresql://… (any libpq connection URL). Connects once and applies pending migrations,
  // so an unreachable server or a newer schema is reported at start. Throws store_error.
  pg_store(const std::string& url, std::size_t connections);
  ~pg_store() override;

  void insert(const submission& s) override;
  std::optional<submission> find(std::string_view session_id) override;
  std::optional<submission> find_by_task(std::string_view task_id) override;
  std::optional<submission> find_by_idempotency_key(std::string_view client_key,
                                                    std::string_view idempotency_key) override;
  std::uint64_t count_created_since(time_point since) override;
  bool record_status(std::string_view session_id, const status_update& update) override;
  std::vector<submission> unfinished() override;
  bool record_archive(std::string_view session_id, const archived_song& song) override;
  std::vector<submission> awaiting_final_copy() override;
  bool give_up_final_copy(std::string_view session_id, time_point at) override;
  bool erase(std::string_view session_id, time_point at) override;
  bool record_lyrics(std::string_view session_id, const std::string& lyrics,
                     const std::vector<std::string>& tags) override;
  bool restart_generation(std::string_view session_id, std::string_view new_task_id, time_point now) override;
  std::vector<submission> unconfirmed() override;
  bool confirm_task(std::string_view session_id, std::string_view task_id, time_point now) override;
  bool give_up_unconfirmed(std::string_view session_id, const std::string& error, time_point at) override;
  bool claim(std::string_view session_id, std::string_view owner, std::string_view owner_url,
             std::chrono::milliseconds lease) override;
  std::uint64_t renew_leases(std::string_view owner, std::chrono::milliseconds lease) override;
  bool release(std::string_view session_id, std::string_view owner) override;
  std::uint64_t release_all(std::string_view owner) override;
  std::vector<submission> unowned_work() override;
  bool shared() const override { return true; }
  shared_limits* limits() override { return this; }
  int schema_version() override;

  // shared_limits (store/pg_limits.cpp)
  limit_decision admit(const limit_spend& who, const limit_settings& limits,
                       std::chrono::milliseconds reservation) override;
  void give_back(const limit_spend& spent, const limit_settings& limits, bool may_exist_upstream) override;
  bool claim_idempotency_key(std::string_view client_key, std::string_view idempotency_key,
                             std::chrono::milliseconds hold) override;
  void release_idempotency_key(std::string_view client_key, std::string_view idempotency_key) override;

 private:
  pg::rows run(std::string_view operation, const std::string& sql, const pg::parameters& p = {});
  std::vector<submission> select(std::string_view operation, const std::string& where, const pg::parameters& p);
  std::optional<submission> select_one(std::string_view operation, const std::string& where, const pg::parameters& p);

  pg::connection_pool pool_;
};

}  // namespace serenade::store
