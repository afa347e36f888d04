#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"
#include "store/submission_store.hpp"

#include "core/private_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

namespace serenade::store {

namespace {

constexpr std::string_view accepted_forms =
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite://:memory: or postgresql://user@host/db";

// More than the database pool's threads, so calls from elsewhere (start-up, tools) never wait for a connection.
constexpr std::size_t postgres_connections = 4;

// URL schemes are case-insensitive (RFC 3986 §3.1).
bool starts_with_scheme(std::string_view url, std::string_view prefix) {
  return url.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), url.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

void create_parent_directory(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) throw store_error(fmt::format("cannot create directory {}: {}", parent.string(), ec.message()));
  // The folder may be shared (a home folder): it is only reported, the files themselves are made private.
  core::warn_if_open_to_others(parent.string());
}

// A database file created by an older run may be readable by others; SQLite gives its -wal and -shm files the
// database file's mode, so all three are closed.
void make_database_private(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) core::make_file_private(path + suffix);
}

}  // namespace

bool is_postgres_url(std::string_view database_url) {
  return starts_with_scheme(database_url, "postgres://") || starts_with_scheme(database_url, "postgresql://");
}

std::string sqlite_path_from_url(std::string_view database_url) {
  if (is_postgres_url(database_url)) throw store_error("a PostgreSQL URL names no SQLite file");
  constexpr std::string_view sqlite_prefix = "sqlite://";
  if (!starts_with_scheme(database_url, sqlite_prefix)) {
    // Only the scheme is echoed: the rest of a database URL may carry a password.
    auto colon = database_url.find(':');
    auto scheme = colon == std::string_view::npos ? std::string_view("(none)") : database_url.substr(0, colon);
    throw store_error(fmt::format("unsupported DATABASE_URL scheme {}; expected {}", scheme, accepted_forms));
  }
  auto rest = database_url.substr(sqlite_prefix.size());
  if (rest == ":memory:") return std::string(rest);
  // After "sqlite://" comes an empty host and then "/path": the path is relative unless it has a second slash.
  if (rest.size() < 2 || rest.front() != '/' || rest.back() == '/') {
    throw store_error(fmt::format("DATABASE_URL has no SQLite file path; expected {}", accepted_forms));
  }
  return std::string(rest.substr(1));
}

std::unique_ptr<submission_store> open_store(std::string_view database_url) {
  if (is_postgres_url(database_url)) return std::make_unique<pg_store>(std::string(database_url), postgres_connections);
  auto path = sqlite_path_from_url(database_url);
  if (path != ":memory:") {
    create_parent_directory(path);
    make_database_private(path);
  }
  return std::make_unique<sqlite_store>(path);
}

}  // namespace serenade::store
