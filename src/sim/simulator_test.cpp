#include "sim/simulator.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

using serenade::sim::simulator;
using serenade::sim::simulator_options;

namespace {

void expect_refused(simulator_options options, const std::string& flag) {
  boost::asio::io_context io;
  options.listen = "127.0.0.1:0";
  simulator sim(io.get_executor(), options);
  try {
    sim.start();
    ADD_FAILURE() << "started with a bad " << flag;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(simulator_options, an_unknown_piece_mode_is_refused) {
  simulator_options o;
  o.piece = "byte";
  expect_refused(o, "--piece");
}

TEST(simulator_options, a_tick_of_zero_is_refused) {
  simulator_options o;
  o.tick = 0;
  expect_refused(o, "--tick");
}
