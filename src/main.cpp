// serenade serve | serenade simulate — see README.md.
#include "app/serve.hpp"
#include "app/simulate.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "sim/simulator.hpp"

#include <CLI/CLI.hpp>
#include <csignal>

int main(int argc, char** argv) {
  // sendfile(2) to a client that has gone raises SIGPIPE; the write's EPIPE is handled where it happens.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"Serenade: tell the story of someone you love, hear their song as it is being sung."};
  app.require_subcommand(1);
  serenade::core::serve_config serve_config;
  auto* serve = app.add_subcommand("serve", "Run the Serenade server");
  serenade::core::add_serve_options(*serve, serve_config);
  serenade::sim::simulator_options sim_options;
  std::string sim_log_level = "info";
  auto* simulate = app.add_subcommand("simulate", "Run the Sonauto simulator (for development and tests)");
  serenade::sim::add_simulator_options(*simulate, sim_options);
  simulate->add_option("--log-level", sim_log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    if (simulate->parsed()) {
      if (!serenade::log::setup(sim_log_level)) {
        std::fprintf(stderr, "serenade: unknown log level '%s'\n", sim_log_level.c_str());
        return 2;
      }
      return serenade::app::run_simulate(sim_options);
    }
    if (!serenade::log::setup(serve_config.log_level)) {
      std::fprintf(stderr, "serenade: unknown log level '%s'\n", serve_config.log_level.c_str());
      return 2;
    }
    if (auto problem = serenade::core::validate(serve_config)) {
      std::fprintf(stderr, "serenade: %s\n", problem->c_str());
      return 2;
    }
    return serenade::app::run_serve(std::move(serve_config));
  } catch (const std::exception& e) {
    SERENADE_LOG(error, "fatal", "error", e.what());
    std::fprintf(stderr, "serenade: %s\n", e.what());
    return 1;
  }
}
