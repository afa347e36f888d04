#pragma once
// The one storage interface the rest of Serenade sees. Implementations are synchronous and
// thread-safe; callers on I/O threads reach them through core/blocking_pool, never directly.
#include "store/submission.hpp"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace serenade::store {

struct store_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class submission_store {
 public:
  virtual ~submission_store() = default;

  // Throws store_error when the session id already exists.
  virtual void insert(const submission& s) = 0;
  virtual std::optional<submission> find(std::string_view session_id) = 0;
  virtual std::optional<submission> find_by_task(std::string_view task_id) = 0;
  // Applies an upstream status change (see status_update). Returns false when the session is unknown.
  virtual bool record_status(std::string_view session_id, const status_update& update) = 0;
  // Submissions with a task id whose generation has not ended (no completed_at): what a restart must resume.
  virtual std::vector<submission> unfinished() = 0;
  // Records (or replaces, e.g. a "live" copy by the verified "cdn" copy) the archived file of a song. False for an
  // unknown session. A "live" copy never replaces a "cdn" one: the call then keeps the "cdn" record and returns true.
  // Throws store_error for a source other than "cdn"/"live" or a size beyond 2^63-1.
  virtual bool record_archive(std::string_view session_id, const archived_song& song) = 0;
  // Submissions whose generation succeeded but whose archive is missing or only "live": what finalisation must
  // (re)try. Oldest first (created_at, then session_id), like unfinished().
  virtual std::vector<submission> awaiting_final_copy() = 0;
  // The schema version after migrations, for diagnostics and tests.
  virtual int schema_version() = 0;
};

// Opens the store named by a DATABASE_URL and applies pending migrations.
//   sqlite:///relative/path.db   (relative to the working directory, e.g. sqlite:///./var/serenade.db)
//   sqlite:////absolute/path.db
//   sqlite://:memory:            (tests)
// Throws store_error with a readable message for unknown schemes or when the database cannot be opened.
std::unique_ptr<submission_store> open_store(std::string_view database_url);

}  // namespace serenade::store
