#include "core/open_files.hpp"

#include <gtest/gtest.h>

using serenade::core::open_files_limit;
using serenade::core::open_files_problem;

TEST(open_files, connections_and_reserve_that_fit_are_fine) {
  EXPECT_FALSE(open_files_problem(10000, 1280, {20000, 20000}));
  EXPECT_FALSE(open_files_problem(18720, 1280, {20000, 20000}));  // exactly at the limit
}

TEST(open_files, too_many_connections_say_what_to_change) {
  const auto problem = open_files_problem(10000, 1280, {1024, 4096});
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("--max-connections 10000 needs 11280 open files"), std::string::npos) << *problem;
  EXPECT_NE(problem->find("at most 1024 may be open (hard limit 4096)"), std::string::npos) << *problem;
  EXPECT_NE(problem->find("lower --max-connections to 0"), std::string::npos) << *problem;
  EXPECT_NE(open_files_problem(20000, 1280, {20000, 20000})->find("lower --max-connections to 18720"),
            std::string::npos);
}

TEST(open_files, an_unknown_limit_is_not_checked) { EXPECT_FALSE(open_files_problem(10000, 1280, {0, 0})); }

TEST(open_files, raising_leaves_the_soft_limit_at_the_hard_one) {
  const auto limit = serenade::core::raise_open_files_limit();
  EXPECT_GT(limit.soft, 0u);
  EXPECT_EQ(limit.soft, limit.hard);
}
