#include "sim/context.hpp"

#include "core/task_group.hpp"
#include "sim/fault_table.hpp"

namespace serenade::sim {

namespace json = boost::json;

context::context(boost::asio::any_io_executor ex, simulator_options opts)
    : executor(std::move(ex)),
      options(std::move(opts)),
      background(std::make_shared<core::task_group>()),
      api_key_(options.api_key),
      create_(options.create),
      refuse_create_left_(options.create.refuse_create_times) {}

context::~context() = default;

std::optional<http::response> context::refuse_auth(const http::request& req) const {
  auto header = req.header("Authorization");
  if (!header || !header->starts_with("Bearer sksonauto_")) return http::error_response(401, "Invalid API key format");
  std::lock_guard lock(mutex_);
  if (!api_key_.empty() && header->substr(7) != api_key_) return http::error_response(401, "Invalid API key");
  return std::nullopt;
}

void context::accept_only_key(std::string key) {
  std::lock_guard lock(mutex_);
  api_key_ = std::move(key);
}

unsigned context::take_create_refusal() {
  std::lock_guard lock(mutex_);
  if (create_.refuse_create == 0) return 0;
  if (create_.refuse_create_times == 0) return create_.refuse_create;
  if (refuse_create_left_ == 0) return 0;
  --refuse_create_left_;
  return create_.refuse_create;
}

std::optional<std::string> context::reused_task_id(const std::string& fresh) {
  std::lock_guard lock(mutex_);
  if (first_task_id_.empty()) {
    first_task_id_ = fresh;
    return std::nullopt;
  }
  if (!create_.reuse_task_id) return std::nullopt;
  return first_task_id_;
}

std::optional<std::string> context::change_create_faults(const json::object& body) {
  std::lock_guard lock(mutex_);
  auto changed = create_;
  const auto update = apply_fault_keys(body, changed);
  if (update.problem) return update.problem;
  if (update.any_set) {
    create_ = changed;
    refuse_create_left_ = create_.refuse_create_times;
  }
  return std::nullopt;
}

json::object context::stats() const {
  json::object out{{"creates", creates.load()},
                   {"create_refusals", create_refusals.load()},
                   {"status_calls", status_calls.load()}};
  std::lock_guard lock(mutex_);
  add_fault_report(out, create_);
  out["refuse_create_left"] =
      create_.refuse_create_times == 0 ? json::value(nullptr) : json::value(refuse_create_left_);
  return out;
}

}  // namespace serenade::sim
