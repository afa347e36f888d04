#include "lifecycle/upstream_create.hpp"

#include "core/backoff.hpp"
#include "core/log.hpp"
#include "sonauto/client.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

namespace serenade::lifecycle {

namespace asio = boost::asio;

namespace {

constexpr int create_attempts = 3;

// Worth asking again: Sonauto said it did not take the request (busy, unavailable), or the request never left.
// Anything else after the request was sent may have created a generation, which is paid for: asking again could
// pay for the same story twice.
bool worth_retrying(const sonauto::failure& f) {
  using sonauto::failure_kind;
  if (f.kind == failure_kind::http_status) return f.status == 429 || f.status == 503;
  if (f.kind == failure_kind::resolve || f.kind == failure_kind::connect) return true;
  if (f.kind == failure_kind::timeout) return f.stage == sonauto::stage::connect || f.stage == sonauto::stage::resolve;
  return false;
}

}  // namespace

asio::awaitable<sonauto::outcome<std::string>> create_with_retries(sonauto::client& client,
                                                                   const sonauto::generation_request& request,
                                                                   const std::string& session_id) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  std::minstd_rand jitter(std::random_device{}());
  constexpr core::backoff retry_pause{std::chrono::milliseconds(400), std::chrono::seconds(5)};
  for (int attempt = 1;; ++attempt) {
    auto created = co_await client.create_generation(request);
    if (created || attempt == create_attempts || !worth_retrying(created.error())) co_return created;
    const auto delay = retry_pause.delay(attempt - 1) + std::chrono::milliseconds(jitter() % 250);
    SERENADE_LOG(info, "generation_retry", "session", session_id, "attempt", attempt, "delay_ms", delay.count(),
                 "error", created.error().describe());
    pause.expires_after(delay);
    co_await pause.async_wait(asio::use_awaitable);
  }
}

submission_refusal refusal_for(const sonauto::failure& f) {
  using sonauto::failure_kind;
  if (f.kind == failure_kind::http_status) {
    switch (f.status) {
      case 422:
        // Sonauto's words go to the log only: they were not written for the person, and nothing says they
        // are safe to show.
        SERENADE_LOG(warn, "sonauto_refused_story", "detail", log::outside_text(f.detail));
        return {refusal_reason::upstream_refused, {}};
      case 401:
      case 403:
        SERENADE_LOG(error, "sonauto_auth_refused", "status", f.status, "hint", "check SONAUTO_API_KEY");
        return {refusal_reason::upstream_misconfigured, {}};
      case 402:
        SERENADE_LOG(error, "sonauto_out_of_credits");
        return {refusal_reason::upstream_out_of_credits, {}};
      case 429: return {refusal_reason::upstream_busy, {}};
      default: break;
    }
  }
  if (f.kind == failure_kind::timeout) return {refusal_reason::upstream_timeout, {}};
  return {refusal_reason::upstream_unavailable, {}};
}

bool may_exist_upstream(const sonauto::failure& f) {
  // A server error or a gateway's (500, 502, 504) says nothing about whether the generation was made.
  if (f.kind == sonauto::failure_kind::http_status) return f.status >= 500 && f.status != 503;
  return (f.kind == sonauto::failure_kind::timeout || f.kind == sonauto::failure_kind::protocol) &&
         (f.stage == sonauto::stage::read_header || f.stage == sonauto::stage::read_body);
}

}  // namespace serenade::lifecycle
