#pragma once
// What every part of the simulated Sonauto shares: its options, the task table, the accepted key and the
// service-wide switches (both changed by POST /_sim/control), the counters /_sim/stats reports, the background
// webhook work. The simulator owns it; the route handlers receive it first.
#include "core/blocking_pool.hpp"
#include "http/message.hpp"
#include "sim/simulator.hpp"
#include "sim/task.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace serenade::core {
class task_group;
}

namespace boost::asio::ssl {
class context;
}

namespace serenade::sim {

struct context {
  context(boost::asio::any_io_executor executor, simulator_options options);
  ~context();

  boost::asio::any_io_executor executor;
  const simulator_options options;
  core::blocking_pool synth_pool{1};
  task_table tasks;
  // Webhook watchers and their POSTs: cancelled when the simulator stops (posts not yet sent are dropped).
  std::shared_ptr<core::task_group> background;
  std::string base_url;      // this simulator's own port
  std::string cdn_base_url;  // the bare CDN listener (see cdn.hpp)
  // Verifies the receivers of https:// webhooks: the system's trust anchors and --webhook-ca.
  std::shared_ptr<boost::asio::ssl::context> webhook_tls;

  std::atomic<std::uint64_t> status_calls{0};
  std::atomic<std::uint64_t> status_429s{0};  // status calls answered by the status_429_every switch
  std::atomic<std::uint64_t> creates{0};          // successful creates only
  std::atomic<std::uint64_t> create_refusals{0};  // creates answered by the refuse_create switch
  std::atomic<std::uint64_t> create_answers_lost{0};  // tasks made whose create answered 504 (lose_create_answers)

  // The key check of every /v1 and /stream request: a 401 answer, or nothing when the key is accepted.
  std::optional<http::response> refuse_auth(const http::request& req) const;
  void accept_only_key(std::string key);

  // The status this create must be refused with, 0 for none (a limited refusal is used up by it).
  unsigned take_create_refusal();
  // The task id a create must answer instead of creating a task (reuse_task_id), or nothing; `fresh` is the id
  // a create would otherwise give, remembered as the one to reuse when it is the first.
  std::optional<std::string> reused_task_id(const std::string& fresh);
  // True when this create's answer must be lost (lose_create_answers), using one of them up.
  bool take_lost_create_answer();
  // Spends one song's credits: false, and nothing spent, when fewer are left.
  bool take_song_credits();
  std::uint64_t credits() const;
  // Counts a status call: true when it is one status_429_every says to refuse.
  bool take_status_429();
  // Applies the service-wide keys of a control body: the sentence of a 400, or nothing once applied (setting
  // any of them re-arms the counts of refuse_create_times, lose_create_answers and status_429_every).
  std::optional<std::string> change_service_faults(const boost::json::object& body);

  boost::json::object stats() const;

 private:
  mutable std::mutex mutex_;
  std::string api_key_;
  // Refuse creates with service_.refuse_create (0: off), for the next refuse_create_left_ creates, or every one
  // when refuse_create_times is 0.
  service_faults service_;
  std::uint64_t refuse_create_left_ = 0;
  std::uint64_t status_calls_counted_ = 0;  // since status_429_every was last set
  std::uint64_t lost_create_answers_left_ = 0;
  std::string first_task_id_;
};

}  // namespace serenade::sim
