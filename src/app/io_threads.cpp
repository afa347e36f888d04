#include "app/io_threads.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <thread>

namespace serenade::app {

namespace asio = boost::asio;

struct io_threads::state {
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  // The other threads would return at once while they have no connection.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
};

io_threads::io_threads(unsigned count) : state_(std::make_unique<state>()) {
  for (unsigned i = 0; i < std::max(1u, count); ++i) {
    state_->contexts.push_back(std::make_unique<asio::io_context>(1));
  }
  for (std::size_t i = 1; i < state_->contexts.size(); ++i) {
    state_->keep_running.push_back(asio::make_work_guard(*state_->contexts[i]));
  }
}

io_threads::~io_threads() = default;

asio::io_context& io_threads::main() { return *state_->contexts.front(); }

asio::any_io_executor io_threads::main_executor() { return main().get_executor(); }

std::vector<asio::any_io_executor> io_threads::connection_executors() {
  std::vector<asio::any_io_executor> executors;
  for (auto& context : state_->contexts) executors.emplace_back(context->get_executor());
  return executors;
}

void io_threads::run() {
  std::vector<std::jthread> others;
  for (std::size_t i = 1; i < state_->contexts.size(); ++i) {
    others.emplace_back([&context = *state_->contexts[i]] { context.run(); });
  }
  main().run();
}

void io_threads::stop() {
  for (auto& context : state_->contexts) context->stop();
}

}  // namespace serenade::app
