#pragma once
// Schema migrations: an ordered list of SQL steps; PRAGMA user_version records the last one applied.
#include <span>

struct sqlite3;

namespace serenade::store {

struct migration {
  int version;      // 1, 2, 3 … in order
  const char* sql;  // may hold several statements
};

// The schema this Serenade knows, oldest first. Append only: a released step is never edited,
// because databases in the field have already run it.
std::span<const migration> schema_migrations();

int read_schema_version(sqlite3* db);

// Applies the steps newer than the database's user_version, each in its own transaction together
// with its user_version bump, so a failed step leaves the database at the previous version.
// Throws store_error when a step fails or the database is newer than the last step.
void migrate(sqlite3* db, std::span<const migration> steps);

}  // namespace serenade::store
