#pragma once
// libpq, made safe to hold: owned connections and results, parameters as text, SQLSTATEs turned into store errors,
// and a small pool of connections that replaces a broken one. Blocking: callers run on core/blocking_pool threads.
#include "store/submission_store.hpp"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace serenade::store::pg {

struct connection_closer {
  void operator()(pg_conn* c) const noexcept;
};
struct result_clearer {
  void operator()(pg_result* r) const noexcept;
};
using connection_ptr = std::unique_ptr<pg_conn, connection_closer>;
using result_ptr = std::unique_ptr<pg_result, result_clearer>;

// The database's clock in unix milliseconds (clock_timestamp: the moment of the statement, not of its transaction),
// for SQL text: several instances' leases and limits are timed by one clock, never by the machines' own.
inline const std::string database_now = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

// Positional parameters ($1, $2 …) in text form; nullopt is SQL NULL.
class parameters {
 public:
  parameters& text(std::string_view value);
  parameters& text(const std::string& value) { return text(std::string_view(value)); }
  parameters& text(const char* value) { return text(std::string_view(value)); }
  parameters& text(const std::optional<std::string>& value);
  parameters& number(std::int64_t value);
  parameters& time(time_point value);
  parameters& time(const std::optional<time_point>& value);
  parameters& null();

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers into the values, valid while this object is unchanged.
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

// The rows of one answer.
class rows {
 public:
  explicit rows(result_ptr result);
  int count() const;
  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;
  std::optional<std::string> optional_text(int row, int column) const;
  std::int64_t number(int row, int column) const;
  std::optional<time_point> optional_time(int row, int column) const;
  time_point time(int row, int column) const { return time_point{std::chrono::milliseconds{number(row, column)}}; }
  // For INSERT/UPDATE/DELETE: how many rows it touched.
  std::uint64_t affected() const;

 private:
  result_ptr result_;
};

// Runs one statement. Throws duplicate_key for a unique violation (SQLSTATE 23505), store_error for anything else,
// with `operation` and PostgreSQL's message (never the connection string).
rows run(pg_conn* c, std::string_view operation, const std::string& sql, const parameters& p = {});
// Runs SQL without parameters; may hold several statements.
void run_script(pg_conn* c, std::string_view operation, const char* sql);

// Ends an open transaction, ignoring failure (the connection may be the reason it is being ended).
void roll_back(pg_conn* c) noexcept;

// Opens a connection to a postgres:// or postgresql:// URL (or any libpq connection string), with a connect
// timeout and keepalives so a dead server is noticed. Throws store_error naming the server's answer.
connection_ptr connect(const std::string& url);

// A bounded set of connections shared by the pool threads. A connection found broken after a call is dropped and
// the next borrower opens a new one, so the store recovers by itself once the server is back.
class connection_pool {
 public:
  connection_pool(std::string url, std::size_t size);
  ~connection_pool();
  connection_pool(const connection_pool&) = delete;
  connection_pool& operator=(const connection_pool&) = delete;

  class lease {
   public:
    lease(connection_pool& pool, connection_ptr c, bool fresh) : pool_(&pool), c_(std::move(c)), fresh_(fresh) {}
    ~lease();
    lease(lease&& other) noexcept = default;
    lease& operator=(lease&&) = delete;
    lease(const lease&) = delete;
    pg_conn* get() const { return c_.get(); }
    // Opened for this borrower, rather than kept idle since an earlier one.
    bool fresh() const { return fresh_; }

   private:
    connection_pool* pool_;
    connection_ptr c_;
    bool fresh_;
  };
  // Waits while every connection is lent out; opens one when fewer than `size` exist. Throws store_error when the
  // server cannot be reached.
  lease borrow();

 private:
  void give_back(connection_ptr c);

  std::string url_;
  std::size_t size_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<connection_ptr> idle_;
  std::size_t open_ = 0;  // idle or lent out
};

// Runs `call` with a connection of the pool. A connection kept idle across a server restart fails on its first use,
// before its backend could run anything: the call goes to a fresh connection then (the broken one is dropped as its
// lease ends). A fresh connection that fails means the server is away. `call` must be safe to run again: a
// transaction it began was rolled back with the connection.
template <class Call>
auto on_a_connection(connection_pool& pool, const Call& call) {
  for (;;) {
    auto c = pool.borrow();
    try {
      return call(c.get());
    } catch (const store_unavailable&) {
      if (c.fresh()) throw;
    }
  }
}

// Runs `work` between BEGIN and COMMIT on `c`, rolling back when it throws.
template <class Work>
auto in_transaction(pg_conn* c, std::string_view operation, const Work& work) {
  run_script(c, operation, "BEGIN");
  try {
    auto result = work();
    run_script(c, operation, "COMMIT");
    return result;
  } catch (...) {
    roll_back(c);
    throw;
  }
}

}  // namespace serenade::store::pg
