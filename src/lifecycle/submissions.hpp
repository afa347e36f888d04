#pragma once
// The submission lifecycle: create the generation, record it, follow the task until it ends (task_follower.hpp
// has the states and what moves them). On start, unfinished tasks are followed again.
#include "lifecycle/admission_desk.hpp"
#include "lifecycle/guards.hpp"
#include "lifecycle/idempotent_create.hpp"
#include "lifecycle/lifecycle_options.hpp"
#include "lifecycle/submission_form.hpp"
#include "lifecycle/submission_result.hpp"
#include "lifecycle/task_follower.hpp"
#include "lifecycle/unconfirmed_creates.hpp"
#include "sonauto/failure.hpp"
#include "store/submission_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace serenade::core {
class blocking_pool;
class task_group;
}

namespace serenade::sonauto {
class client;
struct generation_request;
}

namespace serenade::lifecycle {

// Who asks: the client key (core of rate limits and of the idempotency scope) and the Idempotency-Key, if sent.
struct create_request {
  std::string client;        // the address: scopes Idempotency-Key
  std::string client_group;  // what limits count as one client (http::client_group)
  std::string network;       // the wider range for daily shares (http::network_group)
  std::optional<std::string> idempotency_key;
};

class ownership;

class submissions {
 public:
  // Each unfinished song's follower runs in `background`.
  submissions(boost::asio::any_io_executor executor, store::submission_store& store, core::blocking_pool& pool,
              sonauto::client& client, lifecycle_options options, core::task_group& background);

  // Idempotent per (client, Idempotency-Key): concurrent and later repeats get the first answer's submission
  // (repeated) and start no second generation.
  boost::asio::awaitable<submission_result> create(const submission_form& form, const create_request& who);
  lifecycle_counters& counters() { return counters_; }
  // Nullopt for an unknown session, and for anything that is not a session id at all.
  boost::asio::awaitable<std::optional<store::submission>> find(std::string_view session_id);
  // With a shared database: a song's background work is done only while this instance holds its lease (call
  // before any other call; without it, this process does every song's work).
  void work_under(ownership& leases) { leases_ = &leases; }
  // Starts following every task the store says is unfinished, and waiting again for every create still
  // unconfirmed (call once at start, when the database is this process's alone).
  boost::asio::awaitable<void> resume_unfinished();
  // Does the background work a song has left, whose lease this instance took over in `term` (ownership):
  // follows it, waits for its confirmation, or finalises it.
  void adopt(const store::submission& s, std::uint64_t term);
  // A failed song tried again under the same session id, so its share link keeps working: a new generation
  // with the same prompt. Refused when unknown, not failed, by the guards, or upstream as for create.
  boost::asio::awaitable<submission_result> retry(std::string_view session_id, const create_request& who);
  // The song's maker takes it back: the store keeps only a tombstone, its follower and any wait for its
  // confirmation stop, and on_taken_back removes its files. False when it is unknown or was taken back before.
  boost::asio::awaitable<bool> take_back(std::string_view session_id);
  // The song was taken back through another instance (its tombstone, heard from the shared database): what this
  // one holds of it goes as in take_back (its follower, a wait for its confirmation, on_taken_back), without
  // writing the row again.
  void let_go_taken_back(const std::string& session_id);
  // Whether a follower of this process follows the song.
  bool follows(std::string_view session_id) { return followers_.follows(session_id); }
  // A webhook said this task changed: check its status now (the webhook itself is only a hint).
  // False when no follower of this process knows the task.
  bool hint(std::string_view task_id) { return followers_.hint(task_id); }
  // A webhook that names no task: check every song being generated.
  void hint_all() { followers_.hint_all(); }
  // A webhook on a song's own URL named a task this process does not follow: when the song's create was
  // unconfirmed (its answer lost), this is its task, and it is followed from now on. False otherwise.
  boost::asio::awaitable<bool> confirm(std::string_view session_id, const std::string& task_id);
  // A webhook on a song's own URL that names no task: check that song. False when no follower of this process
  // knows it.
  boost::asio::awaitable<bool> hint_session(std::string_view session_id);

 private:
  boost::asio::awaitable<submission_result> create_once(const submission_form& form, const create_request& who);
  boost::asio::awaitable<std::optional<submission_refusal>> admit(const create_request& who,
                                                                  const std::string& session_id, admission& admitted);
  std::optional<submission_refusal> unaffordable();
  // What a create's outcome says about the credits and the key, for /metrics and the credit gauge.
  void count_create(const sonauto::outcome<std::string>& created);
  sonauto::generation_request generation_for(const store::submission& s) const;
  // A create whose answer was lost: the song is stored without a task and waits for a webhook to name it.
  boost::asio::awaitable<submission_result> keep_unconfirmed(store::submission s, const create_request& who,
                                                             held_generating_slot& slot);
  // The term in which this instance may do the song's work (0 when it has the database alone); nullopt when
  // another instance holds the song's lease.
  boost::asio::awaitable<std::optional<std::uint64_t>> take_lease(const std::string& session_id);
  // Whether the lease taken in `term` still holds (empty when there are no leases).
  std::function<bool()> while_held(std::uint64_t term) const;
  void follow(const std::string& session_id, const std::string& task_id, task_status last, std::uint64_t term);
  void wait_for_confirmation(const store::submission& s);
  // Stores a new song: nothing once stored, else the answer to give instead (the song of a repeat that raced this
  // one, or a refusal).
  boost::asio::awaitable<std::optional<submission_result>> store_new(const store::submission& s,
                                                                     const create_request& who);
  boost::asio::awaitable<void> give_up_unconfirmed(const std::string& session_id);
  // Today's budget counts what was created before this start (the guards in this process's memory only).
  boost::asio::awaitable<void> restore_budget();

  store::submission_store& store_;
  core::blocking_pool& pool_;
  sonauto::client& client_;
  lifecycle_options options_;
  submission_guards guards_;
  admission_desk desk_;
  lifecycle_counters counters_;
  idempotent_creates in_flight_;
  task_followers followers_;
  unconfirmed_creates unconfirmed_;
  ownership* leases_ = nullptr;
};

}  // namespace serenade::lifecycle
