// What `serenade serve` refuses at start-up, with a sentence that says what to change.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace serenade::testing {
namespace {

TEST(startup, more_connections_than_open_files_allow_is_refused_with_what_to_change) {
  const auto dir = std::filesystem::temp_directory_path() / ("serenade-startup-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  process server({SERENADE_BINARY, "serve", "--listen", "127.0.0.1:0", "--max-connections", "4000000000",
                  "--database", "sqlite:///" + (dir / "db").string(), "--archive-dir", (dir / "archive").string()},
                 {}, (dir / "server.log").string());
  wait_until([&] { return !server.running(); }, [] { return std::string("the server started anyway"); });
  EXPECT_EQ(server.terminate(std::chrono::seconds(1)), 2);
  const auto log = server.log();
  EXPECT_NE(log.find("--max-connections 4000000000 needs"), std::string::npos) << log;
  EXPECT_NE(log.find("open files"), std::string::npos) << log;
  EXPECT_EQ(log.find("listening"), std::string::npos) << log;
  std::filesystem::remove_all(dir);
}

TEST(startup, a_weak_webhook_token_is_refused_with_exit_code_2) {
  const auto dir = std::filesystem::temp_directory_path() / ("serenade-startup-token-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  process server({SERENADE_BINARY, "serve", "--listen", "127.0.0.1:0", "--database",
                  "sqlite:///" + (dir / "db").string(), "--archive-dir", (dir / "archive").string()},
                 {{"SERENADE_WEBHOOK_TOKEN", "letmein-2024"}}, (dir / "server.log").string());
  wait_until([&] { return !server.running(); }, [] { return std::string("the server started anyway"); });
  EXPECT_EQ(server.terminate(std::chrono::seconds(1)), 2);
  const auto log = server.log();
  EXPECT_NE(log.find("SERENADE_WEBHOOK_TOKEN is too weak"), std::string::npos) << log;
  EXPECT_EQ(log.find("letmein"), std::string::npos) << "the refused token was repeated";
  EXPECT_EQ(log.find("listening"), std::string::npos) << log;
  std::filesystem::remove_all(dir);
}

// With no --max-connections given, a machine with fewer open files than the default needs still gets a
// working service: the ceiling shrinks to fit, with a warning.
TEST(startup, the_default_connection_ceiling_shrinks_to_a_low_open_files_limit) {
  const auto dir = std::filesystem::temp_directory_path() / ("serenade-startup-low-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  process server({"/usr/bin/prlimit", "--nofile=2000:2000", SERENADE_BINARY, "serve", "--listen", "127.0.0.1:0", "--database",
                  "sqlite:///" + (dir / "db").string(), "--archive-dir", (dir / "archive").string()},
                 {}, (dir / "server.log").string());
  const auto line = server.wait_for_line({"max_connections_lowered"}, std::chrono::seconds(20));
  EXPECT_NE(line.find("max_connections=720"), std::string::npos) << line;
  const auto port = server.wait_for_port("serenade");
  EXPECT_EQ(request(port, "GET", "/healthz").status, 200u);
  EXPECT_EQ(server.terminate(std::chrono::seconds(20)), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace serenade::testing
