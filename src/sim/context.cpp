#include "sim/context.hpp"

#include "core/task_group.hpp"
#include "sim/fault_table.hpp"
#include "sim/webhook_sender.hpp"

namespace serenade::sim {

namespace json = boost::json;

context::context(boost::asio::any_io_executor ex, simulator_options opts)
    : executor(std::move(ex)),
      options(std::move(opts)),
      background(std::make_shared<core::task_group>()),
      webhook_tls(make_webhook_tls(options.webhook_ca_file)),
      api_key_(options.api_key),
      service_(options.service),
      refuse_create_left_(options.service.refuse_create_times),
      lost_create_answers_left_(options.service.lose_create_answers) {}

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
  if (service_.refuse_create == 0) return 0;
  if (service_.refuse_create_times == 0) return service_.refuse_create;
  if (refuse_create_left_ == 0) return 0;
  --refuse_create_left_;
  return service_.refuse_create;
}

bool context::take_lost_create_answer() {
  std::lock_guard lock(mutex_);
  if (lost_create_answers_left_ == 0) return false;
  --lost_create_answers_left_;
  return true;
}

std::optional<std::string> context::reused_task_id(const std::string& fresh) {
  std::lock_guard lock(mutex_);
  if (first_task_id_.empty()) {
    first_task_id_ = fresh;
    return std::nullopt;
  }
  if (!service_.reuse_task_id) return std::nullopt;
  return first_task_id_;
}

bool context::take_song_credits() {
  std::lock_guard lock(mutex_);
  if (service_.credits < song_credits) return false;
  service_.credits -= song_credits;
  return true;
}

std::uint64_t context::credits() const {
  std::lock_guard lock(mutex_);
  return service_.credits;
}

bool context::take_status_429() {
  std::lock_guard lock(mutex_);
  if (service_.status_429_every == 0) return false;
  return ++status_calls_counted_ % service_.status_429_every == 0;
}

std::optional<std::string> context::change_service_faults(const json::object& body) {
  std::lock_guard lock(mutex_);
  auto changed = service_;
  const auto update = apply_fault_keys(body, changed);
  if (update.problem) return update.problem;
  if (update.any_set) {
    service_ = changed;
    refuse_create_left_ = service_.refuse_create_times;
    lost_create_answers_left_ = service_.lose_create_answers;
    status_calls_counted_ = 0;
  }
  return std::nullopt;
}

json::object context::stats() const {
  json::object out{{"creates", creates.load()},
                   {"create_refusals", create_refusals.load()},
                   {"create_answers_lost", create_answers_lost.load()},
                   {"status_calls", status_calls.load()},
                   {"status_429s", status_429s.load()}};
  std::lock_guard lock(mutex_);
  add_fault_report(out, service_);
  out["refuse_create_left"] =
      service_.refuse_create_times == 0 ? json::value(nullptr) : json::value(refuse_create_left_);
  return out;
}

}  // namespace serenade::sim
