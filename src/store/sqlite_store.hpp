#pragma once
// SQLite implementation of submission_store. One connection serialised by a mutex: SQLite serialises
// writers anyway, and the callers are a handful of pool threads, so a connection pool would buy nothing.
#include "store/submission_store.hpp"

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace serenade::store {

namespace detail {

struct connection_closer {
  void operator()(sqlite3* db) const noexcept;
};
struct statement_finalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept;
};
using connection_ptr = std::unique_ptr<sqlite3, connection_closer>;
using statement_ptr = std::unique_ptr<sqlite3_stmt, statement_finalizer>;

// Throws store_error("<operation>: <sqlite3_errmsg>").
[[noreturn]] void fail(sqlite3* db, std::string_view operation);

// Runs SQL that returns no rows; may hold several statements.
void exec(sqlite3* db, const char* sql, std::string_view operation);

// BEGIN IMMEDIATE on construction (takes the write lock up front, so a later write cannot hit
// SQLITE_BUSY mid-transaction); rolls back on destruction unless commit() succeeded.
class transaction {
 public:
  transaction(sqlite3* db, std::string_view operation);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  void commit();

 private:
  sqlite3* db_;
  std::string operation_;
  bool committed_ = false;
};

}  // namespace detail

// The SQLite file (or ":memory:") a DATABASE_URL names; see open_store for the accepted forms.
// Throws store_error for anything else.
std::string sqlite_path_from_url(std::string_view database_url);

class sqlite_store final : public submission_store {
 public:
  // path is a file name or ":memory:". The file is created when missing (its directory is not),
  // then pending migrations are applied. Throws store_error.
  explicit sqlite_store(const std::string& path);
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

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
  bool shared() const override { return false; }
  int schema_version() override;

 private:
  // Compiled once per connection; sql must be a constant with static storage (it is the cache key).
  // Caller holds mutex_.
  sqlite3_stmt* prepared(std::string_view sql);
  using text_parameters = std::initializer_list<std::pair<const char*, std::string_view>>;
  std::optional<submission> find_one(std::string_view sql, text_parameters parameters, std::string_view operation);

  std::mutex mutex_;
  // Declared before the statements so it is destroyed after them.
  detail::connection_ptr db_;
  std::unordered_map<std::string_view, detail::statement_ptr> statements_;
};

}  // namespace serenade::store
