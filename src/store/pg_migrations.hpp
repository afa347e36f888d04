#pragma once
// The PostgreSQL schema: the same numbered steps as SQLite's (store/migrations.hpp), in PostgreSQL's dialect. The
// version lives in the table serenade_schema; all pending steps run in one transaction under an advisory lock, so
// instances starting together migrate once and a failed step leaves the previous version.
#include "store/migrations.hpp"
#include "store/pg_connection.hpp"

#include <span>

namespace serenade::store::pg {

std::span<const migration> schema_migrations();
int read_schema_version(pg_conn* c);
// Throws store_error when a step fails or the database is newer than the last step.
void migrate(pg_conn* c, std::span<const migration> steps);

}  // namespace serenade::store::pg
