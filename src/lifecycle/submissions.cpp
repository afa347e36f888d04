#include "lifecycle/submissions.hpp"

#include "core/blocking_pool.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "lifecycle/lasting_writes.hpp"
#include "lifecycle/ownership.hpp"
#include "lifecycle/prompt.hpp"
#include "lifecycle/upstream_create.hpp"
#include "sonauto/client.hpp"

namespace serenade::lifecycle {

namespace asio = boost::asio;

namespace {

refusal_reason reason_of(refusal::guard g) {
  switch (g) {
    case refusal::guard::client_rate: return refusal_reason::client_rate_limited;
    case refusal::guard::generating_cap: return refusal_reason::too_many_generating;
    case refusal::guard::client_daily:
    case refusal::guard::network_daily: return refusal_reason::range_share_spent;
    case refusal::guard::daily_budget: break;
  }
  return refusal_reason::daily_budget_spent;
}

}  // namespace

submissions::submissions(asio::any_io_executor executor, store::submission_store& store, core::blocking_pool& pool,
                         sonauto::client& client, lifecycle_options options, core::task_group& background)
    : store_(store),
      pool_(pool),
      client_(client),
      options_(std::move(options)),
      guards_(options_.guards),
      desk_(guards_, store, pool, options_.guards),
      followers_(executor, store, pool, client, options_, background, [this] { guards_.generation_ended(); }),
      unconfirmed_(
          std::move(executor), background,
          [this](const std::string& session_id) { return give_up_unconfirmed(session_id); },
          [this] { guards_.generation_ended(); }) {}

asio::awaitable<submission_result> submissions::create(const submission_form& form, const create_request& who) {
  if (!who.idempotency_key) co_return co_await create_once(form, who);
  const auto& key = *who.idempotency_key;
  const auto find = [&]() -> asio::awaitable<std::optional<store::submission>> {
    co_return co_await pool_.run([&] { return store_.find_by_idempotency_key(who.client, key); });
  };
  co_return co_await in_flight_.run(who.client + '\0' + key, find, [&] {
    return desk_.create_holding_key(who.client, key, find, [&] { return create_once(form, who); });
  });
}

asio::awaitable<std::optional<submission_refusal>> submissions::admit(const create_request& who,
                                                                       const std::string& session_id,
                                                                       admission& admitted) {
  admitted = co_await desk_.admit(session_id, who.client_group, who.network);
  if (admitted) co_return std::nullopt;
  const auto& r = *admitted.refused;
  co_return submission_refusal{reason_of(r.by), r.retry_after};
}

sonauto::generation_request submissions::generation_for(const store::submission& s) const {
  sonauto::generation_request request;
  request.prompt = s.prompt;
  request.lyrics = s.own_lyrics;
  // The song's own URL: a webhook on it can tell the task of a create whose answer was lost.
  if (!options_.webhook_url.empty()) request.webhook_url = options_.webhook_url + '/' + s.session_id;
  return request;
}

std::optional<submission_refusal> submissions::unaffordable() {
  if (counters_.credits.affords_a_song()) return std::nullopt;
  ++counters_.refused_no_credits;
  SERENADE_LOG(warn, "submission_refused", "reason", "out_of_credits", "credits",
               counters_.credits.balance().value_or(0));
  return submission_refusal{refusal_reason::upstream_out_of_credits, {}};
}

void submissions::count_create(const sonauto::outcome<std::string>& created) {
  if (created) {
    counters_.credits.spent();
    return;
  }
  const auto& f = created.error();
  if (f.kind != sonauto::failure_kind::http_status) return;
  if (f.status == 402) {
    ++counters_.upstream_out_of_credits;
    counters_.credits.exhausted();
  }
  if (f.status == 401 || f.status == 403) ++counters_.upstream_misconfigured;
}

asio::awaitable<submission_result> submissions::create_once(const submission_form& form, const create_request& who) {
  // Before any guard is spent: a song the balance cannot pay for is refused as Sonauto would, without asking it.
  if (auto refused = unaffordable()) co_return submission_result::refusal(std::move(*refused));
  const auto session_id = ids::random_token();
  admission admitted;
  auto refused = co_await admit(who, session_id, admitted);
  if (refused) {
    const auto by = admitted.refused->by;
    switch (by) {
      case refusal::guard::client_rate: ++counters_.refused_client_rate; break;
      case refusal::guard::generating_cap: ++counters_.refused_generating_cap; break;
      case refusal::guard::daily_budget: ++counters_.refused_daily_budget; break;
      case refusal::guard::client_daily:
      case refusal::guard::network_daily: ++counters_.refused_range_share; break;
    }
    SERENADE_LOG(info, "submission_limited", "guard", name(by), "retry_after_s", refused->retry_after.count());
    co_return submission_result::refusal(std::move(*refused));
  }
  store::submission s;
  s.session_id = session_id;
  s.sender = form.sender;
  s.recipient = form.recipient;
  s.story = form.story;
  s.style = form.style;
  s.prompt = compose_prompt(form);
  if (!form.lyrics.empty()) s.own_lyrics = form.lyrics;
  if (who.idempotency_key) {
    s.client_key = who.client;
    s.idempotency_key = who.idempotency_key;
  }

  auto created = co_await create_with_retries(client_, generation_for(s), s.session_id);
  count_create(created);
  if (!created) {
    const auto& f = created.error();
    if (may_exist_upstream(f) && !options_.webhook_url.empty()) {
      SERENADE_LOG(warn, "generation_unconfirmed", "session", s.session_id, "error", f.describe());
      held_generating_slot slot(guards_);
      co_return co_await keep_unconfirmed(std::move(s), who, slot);
    }
    SERENADE_LOG(warn, "generation_refused", "session", s.session_id, "error", f.describe());
    co_await desk_.not_created(admitted, may_exist_upstream(f));
    co_return submission_result::refusal(refusal_for(f));
  }
  held_generating_slot slot(guards_);
  s.task_id = created.value();
  s.status = stored_text(task_status::received);
  s.created_at = s.updated_at = store::now();
  if (auto instead = co_await store_new(s, who)) co_return std::move(*instead);
  SERENADE_LOG(info, "submission_created", "session", s.session_id, "task", *s.task_id);
  const auto term = co_await take_lease(s.session_id);
  if (term) {
    follow(s.session_id, *s.task_id, task_status::received, *term);
    slot.hand_over();
  }
  co_return submission_result::created(std::move(s));
}

asio::awaitable<std::optional<submission_result>> submissions::store_new(const store::submission& s,
                                                                         const create_request& who) {
  bool duplicate = false;
  try {
    co_await pool_.run([&] { store_.insert(s); });
  } catch (const store::duplicate_key&) {
    duplicate = true;
  }
  if (!duplicate) co_return std::nullopt;
  // Another Serenade process stored this idempotency key first: its song is the answer.
  std::optional<store::submission> winner;
  if (who.idempotency_key) {
    winner = co_await pool_.run([&] { return store_.find_by_idempotency_key(who.client, *who.idempotency_key); });
  }
  if (winner) {
    SERENADE_LOG(warn, "idempotent_create_raced", "session", s.session_id);
    co_return submission_result::repeat(std::move(winner));
  }
  // Otherwise Sonauto answered with a task id another song already has: following it would mix two songs.
  SERENADE_LOG(error, "sonauto_task_id_reused", "session", s.session_id, "task",
               log::outside_text(s.task_id.value_or("")));
  ++counters_.upstream_answers_unusable;
  co_return submission_result::refusal(refusal_reason::upstream_unavailable);
}

// The song is kept, and the person sees it being made, rather than a 504 that invites a second paid generation.
// Its Idempotency-Key finds it, so sending the form again starts nothing new.
asio::awaitable<submission_result> submissions::keep_unconfirmed(store::submission s, const create_request& who,
                                                                  held_generating_slot& slot) {
  s.status = stored_text(task_status::received);
  s.created_at = s.updated_at = store::now();
  if (auto instead = co_await store_new(s, who)) co_return std::move(*instead);
  ++counters_.creates_unconfirmed;
  const auto term = co_await take_lease(s.session_id);
  if (term) {
    unconfirmed_.wait_for(s.session_id, std::chrono::steady_clock::now() + options_.stall_timeout);
    slot.hand_over();
  }
  co_return submission_result::created(std::move(s));
}

asio::awaitable<std::optional<std::uint64_t>> submissions::take_lease(const std::string& session_id) {
  if (!leases_) co_return std::uint64_t{0};
  co_return co_await leases_->claim(session_id);
}

std::function<bool()> submissions::while_held(std::uint64_t term) const {
  if (!leases_) return {};
  return [leases = leases_, term] { return leases->term_holds(term); };
}

void submissions::follow(const std::string& session_id, const std::string& task_id, task_status last,
                         std::uint64_t term) {
  followers_.follow(session_id, task_id, last, while_held(term));
}

// The wait of an unconfirmed create counts from its submit, not from this start or takeover.
void submissions::wait_for_confirmation(const store::submission& s) {
  const auto left = std::max<std::chrono::milliseconds>(std::chrono::milliseconds(0),
                                                         s.created_at + options_.stall_timeout - store::now());
  SERENADE_LOG(info, "submission_resumed", "session", s.session_id, "status", "unconfirmed", "wait_ms", left.count());
  guards_.generation_resumed();
  unconfirmed_.wait_for(s.session_id, std::chrono::steady_clock::now() + left);
}

void submissions::adopt(const store::submission& s, std::uint64_t term) {
  if (!s.completed_at && s.task_id) {
    SERENADE_LOG(info, "submission_resumed", "session", s.session_id, "task", *s.task_id, "status", s.status);
    guards_.generation_resumed();
    follow(s.session_id, *s.task_id, stored_status(s.status), term);
  } else if (!s.completed_at) {
    wait_for_confirmation(s);
  } else if (s.task_id && stored_status(s.status) == task_status::success && options_.on_success) {
    options_.on_success(s.session_id, *s.task_id);
  }
}

asio::awaitable<void> submissions::give_up_unconfirmed(const std::string& session_id) {
  auto write = [&] {
    return store_.give_up_unconfirmed(session_id,
                                      "The music service did not confirm that it started this song. Please try again.",
                                      store::now());
  };
  const bool given_up = co_await through_outages(pool_, write, session_id);
  if (!given_up) co_return;  // a webhook named its task meanwhile (here or in another process)
  ++counters_.creates_never_confirmed;
  SERENADE_LOG(warn, "generation_never_confirmed", "session", session_id);
  co_await followers_.announce(session_id);
}

asio::awaitable<bool> submissions::confirm(std::string_view session_id, const std::string& task_id) {
  if (!ids::looks_like_token(session_id)) co_return false;
  const std::string session(session_id);
  const bool confirmed = co_await pool_.run([&] {
    try {
      return store_.confirm_task(session, task_id, store::now());
    } catch (const store::duplicate_key&) {
      return false;  // another song's task: never two songs on one task
    }
  });
  if (!confirmed) co_return false;
  unconfirmed_.stop_waiting(session);  // its wait gives its slot back; the follower holds one from now on
  ++counters_.creates_confirmed;
  SERENADE_LOG(info, "generation_confirmed", "session", session, "task", log::outside_text(task_id));
  // The confirmation gave the lease back: the instance the webhook reached follows the song. The one that waited
  // for it finds the task set when its wait runs out, and lets it be.
  const auto term = co_await take_lease(session);
  if (term) {
    guards_.generation_resumed();
    follow(session, task_id, task_status::received, *term);
  }
  co_await followers_.announce(session);
  co_return true;
}

asio::awaitable<bool> submissions::take_back(std::string_view session_id) {
  if (!ids::looks_like_token(session_id)) co_return false;
  const std::string session(session_id);
  const bool erased = co_await pool_.run([&] { return store_.erase(session, store::now()); });
  if (!erased) co_return false;
  followers_.let_go(session);
  unconfirmed_.stop_waiting(session);
  ++counters_.songs_taken_back;
  SERENADE_LOG(info, "song_taken_back", "session", session);
  if (options_.on_taken_back) options_.on_taken_back(session);
  co_await followers_.announce(session);
  co_return true;
}

void submissions::let_go_taken_back(const std::string& session_id) {
  // A follower says so itself when it stops.
  if (!followers_.let_go(session_id)) SERENADE_LOG(info, "song_let_go", "session", session_id, "reason", "taken_back");
  unconfirmed_.stop_waiting(session_id);
  if (options_.on_taken_back) options_.on_taken_back(session_id);
}

asio::awaitable<bool> submissions::hint_session(std::string_view session_id) {
  auto song = co_await find(session_id);
  co_return song && song->task_id && hint(*song->task_id);
}

asio::awaitable<std::optional<store::submission>> submissions::find(std::string_view session_id) {
  if (!ids::looks_like_token(session_id)) co_return std::nullopt;  // not worth a trip to the database
  co_return co_await pool_.run([&] { return store_.find(session_id); });
}

asio::awaitable<void> submissions::restore_budget() {
  const auto today = std::chrono::time_point_cast<std::chrono::milliseconds>(guards_.budget().start_of_today());
  const auto spent = co_await pool_.run([&] { return store_.count_created_since(today); });
  guards_.budget().restore(spent);
}

asio::awaitable<void> submissions::resume_unfinished() {
  co_await restore_budget();
  auto open = co_await pool_.run([this] { return store_.unfinished(); });
  for (auto& s : open) adopt(s, 0);
  auto unconfirmed = co_await pool_.run([this] { return store_.unconfirmed(); });
  for (auto& s : unconfirmed) wait_for_confirmation(s);
}

asio::awaitable<submission_result> submissions::retry(std::string_view session_id, const create_request& who) {
  auto existing = co_await pool_.run([&] { return store_.find(session_id); });
  if (!existing) co_return submission_result::refusal(refusal_reason::not_found);
  if (existing->deleted_at) co_return submission_result::refusal(refusal_reason::taken_back);
  if (stored_status(existing->status) != task_status::failure) {
    co_return submission_result::refusal(refusal_reason::not_failed);
  }
  if (auto refused = unaffordable()) co_return submission_result::refusal(std::move(*refused));
  admission admitted;
  auto refused = co_await admit(who, existing->session_id, admitted);
  if (refused) co_return submission_result::refusal(std::move(*refused));
  auto created = co_await create_with_retries(client_, generation_for(*existing), existing->session_id);
  count_create(created);
  if (!created) {
    SERENADE_LOG(warn, "generation_refused", "session", existing->session_id, "error", created.error().describe());
    co_await desk_.not_created(admitted, may_exist_upstream(created.error()));
    co_return submission_result::refusal(refusal_for(created.error()));
  }
  held_generating_slot slot(guards_);
  if (options_.on_retry) options_.on_retry(existing->session_id);
  const auto task = created.value();
  const bool restarted =
      co_await pool_.run([&] { return store_.restart_generation(existing->session_id, task, store::now()); });
  if (!restarted) co_return submission_result::refusal(refusal_reason::already_retried);
  SERENADE_LOG(info, "submission_retried", "session", existing->session_id, "task", task, "attempt",
               existing->attempts + 1);
  const auto term = co_await take_lease(existing->session_id);
  if (term) {
    follow(existing->session_id, task, task_status::received, *term);
    slot.hand_over();
  }
  co_await followers_.announce(existing->session_id);
  auto now = co_await pool_.run([&] { return store_.find(existing->session_id); });
  co_return submission_result{std::move(now), false, std::nullopt};
}

}  // namespace serenade::lifecycle
