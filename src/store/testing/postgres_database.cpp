#include "store/testing/postgres_database.hpp"

#include "core/ids.hpp"
#include "store/pg_connection.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace serenade::store {

namespace {

std::string fresh_name() {
  std::string name = "test_";
  for (char c : ids::random_token()) name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return name;
}

}  // namespace

postgres_database::postgres_database() {
  const char* state = std::getenv("SERENADE_TEST_POSTGRES");
  if (!state || !*state) throw std::runtime_error("SERENADE_TEST_POSTGRES is not set: run the tests with ctest");
  std::ifstream in(state);
  if (!std::getline(in, maintenance_url_) || !std::getline(in, cluster_dir_)) {
    throw std::runtime_error(std::string("no test PostgreSQL cluster described in ") + state);
  }
  name_ = fresh_name();
  const auto at = maintenance_url_.find("/postgres?");
  if (at == std::string::npos) throw std::runtime_error("unexpected maintenance URL " + maintenance_url_);
  url_ = maintenance_url_.substr(0, at) + "/" + name_ + maintenance_url_.substr(at + std::string("/postgres").size());
  auto c = pg::connect(maintenance_url_);
  pg::run_script(c.get(), "create test database", ("CREATE DATABASE " + name_).c_str());
}

postgres_database::~postgres_database() {
  try {
    auto c = pg::connect(maintenance_url_);
    pg::run_script(c.get(), "drop test database", ("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)").c_str());
  } catch (...) {
    // The cluster is thrown away after the run anyway.
  }
}

}  // namespace serenade::store
