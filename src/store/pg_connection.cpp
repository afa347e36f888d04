#include "store/pg_connection.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <charconv>

namespace serenade::store::pg {

void connection_closer::operator()(pg_conn* c) const noexcept { PQfinish(c); }
void result_clearer::operator()(pg_result* r) const noexcept { PQclear(r); }

// Parameters go as C strings, and PostgreSQL's text cannot hold a NUL: refused rather than cut short.
parameters& parameters::text(std::string_view value) {
  if (value.find('\0') != std::string_view::npos) throw store_error("PostgreSQL cannot store text with a NUL byte");
  values_.emplace_back(std::string(value));
  return *this;
}

parameters& parameters::text(const std::optional<std::string>& value) { return value ? text(*value) : null(); }

parameters& parameters::number(std::int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

parameters& parameters::time(time_point value) { return number(value.time_since_epoch().count()); }

parameters& parameters::time(const std::optional<time_point>& value) { return value ? time(*value) : null(); }

parameters& parameters::null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

std::vector<const char*> parameters::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

rows::rows(result_ptr result) : result_(std::move(result)) {}

int rows::count() const { return PQntuples(result_.get()); }

bool rows::is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }

std::string rows::text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::optional<std::string> rows::optional_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

std::int64_t rows::number(int row, int column) const {
  const char* value = PQgetvalue(result_.get(), row, column);
  const char* end = value + PQgetlength(result_.get(), row, column);
  std::int64_t out = 0;
  if (const auto [ptr, ec] = std::from_chars(value, end, out); ec != std::errc() || ptr != end) {
    throw store_error(fmt::format("column {} is not an integer", PQfname(result_.get(), column)));
  }
  return out;
}

std::optional<time_point> rows::optional_time(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return time(row, column);
}

std::uint64_t rows::affected() const {
  const char* tuples = PQcmdTuples(result_.get());
  std::uint64_t out = 0;
  std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), out);
  return out;
}

namespace {

// PostgreSQL's own words, on one line (its messages end in a newline and may carry a DETAIL line).
std::string one_line(const char* message) {
  std::string out = message ? message : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  for (auto& c : out) {
    if (c == '\n') c = ' ';
  }
  return out;
}

constexpr std::string_view unique_violation = "23505";

[[noreturn]] void fail(pg_conn* c, const pg_result* r, std::string_view operation) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const auto message = one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c));
  if (state && state == unique_violation) throw duplicate_key(fmt::format("{}: {}", operation, message));
  // A connection lost mid-call, or a server shutting down (class 57P: operator intervention), is the server away.
  if (PQstatus(c) != CONNECTION_OK || (state && std::string_view(state).starts_with("57P"))) {
    throw store_unavailable(fmt::format("{}: {}", operation, message.empty() ? "connection lost" : message));
  }
  throw store_error(fmt::format("{}: {}", operation, message.empty() ? "no answer from PostgreSQL" : message));
}

}  // namespace

rows run(pg_conn* c, std::string_view operation, const std::string& sql, const parameters& p) {
  const auto values = p.pointers();
  result_ptr result(PQexecParams(c, sql.c_str(), p.size(), nullptr, values.data(), nullptr, nullptr, 0));
  const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(c, result.get(), operation);
  return rows(std::move(result));
}

void run_script(pg_conn* c, std::string_view operation, const char* sql) {
  result_ptr result(PQexec(c, sql));
  const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(c, result.get(), operation);
}

void roll_back(pg_conn* c) noexcept { result_ptr ignored(PQexec(c, "ROLLBACK")); }

connection_ptr connect(const std::string& url) {
  // Later keywords override what the URL says; the URL's own parameters (host, sslmode …) are kept.
  const char* keywords[] = {"dbname",       "connect_timeout",     "keepalives",      "keepalives_idle",
                            "keepalives_interval", "keepalives_count", "application_name", nullptr};
  const char* values[] = {url.c_str(), "5", "1", "30", "10", "3", "serenade", nullptr};
  connection_ptr c(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (!c) throw store_error("cannot connect to PostgreSQL: out of memory");
  if (PQstatus(c.get()) != CONNECTION_OK) {
    throw store_unavailable(fmt::format("cannot connect to PostgreSQL: {}", one_line(PQerrorMessage(c.get()))));
  }
  return c;
}

connection_pool::connection_pool(std::string url, std::size_t size) : url_(std::move(url)), size_(size) {}

connection_pool::~connection_pool() = default;

connection_pool::lease::~lease() {
  if (c_) pool_->give_back(std::move(c_));
}

connection_pool::lease connection_pool::borrow() {
  std::unique_lock lock(mutex_);
  freed_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return lease(*this, std::move(c), false);
  }
  ++open_;
  lock.unlock();
  try {
    return lease(*this, connect(url_), true);
  } catch (...) {
    lock.lock();
    --open_;
    freed_.notify_one();
    throw;
  }
}

void connection_pool::give_back(connection_ptr c) {
  const bool usable = PQstatus(c.get()) == CONNECTION_OK && PQtransactionStatus(c.get()) == PQTRANS_IDLE;
  if (!usable) c.reset();  // broken, or left inside a transaction: the next borrower opens a fresh one
  std::lock_guard lock(mutex_);
  if (c) {
    idle_.push_back(std::move(c));
  } else {
    --open_;
  }
  freed_.notify_one();
}

}  // namespace serenade::store::pg
