#pragma once
// A database of its own for one test, in the throwaway cluster that scripts/test-postgres started for the run
// (ctest's "postgres" fixture; SERENADE_TEST_POSTGRES names its state file). Dropped when the object goes, with
// whatever connections are still open to it.
#include <string>

namespace serenade::store {

class postgres_database {
 public:
  // Throws std::runtime_error when no cluster was started for the run, or it cannot be reached.
  postgres_database();
  ~postgres_database();
  postgres_database(const postgres_database&) = delete;
  postgres_database& operator=(const postgres_database&) = delete;

  // postgresql://user@/name?host=/socket/folder
  const std::string& url() const { return url_; }
  // The cluster's socket folder: where a test restarts or stops the server.
  const std::string& cluster_dir() const { return cluster_dir_; }

 private:
  std::string maintenance_url_;
  std::string cluster_dir_;
  std::string name_;
  std::string url_;
};

}  // namespace serenade::store
