#include "api/metrics.hpp"

#include "api/webhooks.hpp"
#include "http/server.hpp"
#include "lifecycle/finaliser.hpp"
#include "lifecycle/submissions.hpp"
#include "live/hub.hpp"

#include <fmt/format.h>

namespace serenade::api {

void service_metrics::count_request(std::string_view route, unsigned status) {
  const std::pair<std::string_view, unsigned> key(route, status);
  std::lock_guard lock(mutex_);
  auto it = requests_.find(key);
  if (it == requests_.end()) it = requests_.emplace(std::pair<std::string, unsigned>(route, status), 0).first;
  ++it->second;
}

namespace {
void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}
std::string label_value(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

std::string service_metrics::render(const sources& from) const {
  const auto& hubs = from.hubs;
  const auto& finals = from.finals;
  const auto& lifecycle = from.lifecycle;
  std::string out;
  family(out, "serenade_listeners", "gauge", "Listeners connected now, by the state of their song.");
  out += fmt::format("serenade_listeners{{state=\"live\"}} {}\n", hubs.listeners_live.load());
  out += fmt::format("serenade_listeners{{state=\"final\"}} {}\n", listeners_final.load());
  family(out, "serenade_upstream_connections", "gauge", "Open stream connections to Sonauto.");
  out += fmt::format("serenade_upstream_connections {}\n", hubs.upstream_connections_open.load());
  family(out, "serenade_upstream_reconnects_total", "counter", "Stream connections reopened after a drop.");
  out += fmt::format("serenade_upstream_reconnects_total {}\n", hubs.upstream_reconnects.load());
  family(out, "serenade_replay_mismatches_total", "counter", "Reconnects whose replay differed from the capture.");
  out += fmt::format("serenade_replay_mismatches_total {}\n", hubs.replay_mismatches.load());
  family(out, "serenade_replay_splices_total", "counter",
         "Replays of another encode continued at a frame boundary (listeners kept playing).");
  out += fmt::format("serenade_replay_splices_total {}\n", hubs.replay_splices.load());
  family(out, "serenade_bytes_relayed_total", "counter", "Song bytes sent to listeners, by song state.");
  out += fmt::format("serenade_bytes_relayed_total{{state=\"live\"}} {}\n", hubs.bytes_relayed.load());
  out += fmt::format("serenade_bytes_relayed_total{{state=\"final\"}} {}\n", final_bytes_relayed.load());
  family(out, "serenade_upstream_drops_total", "counter", "Stream connections to Sonauto that failed mid-song.");
  out += fmt::format("serenade_upstream_drops_total {}\n", hubs.upstream_drops.load());
  family(out, "serenade_captures_started_total", "counter", "Captures opened, resumed ones included.");
  out += fmt::format("serenade_captures_started_total {}\n", hubs.captures_started.load());
  family(out, "serenade_captures_too_large_total", "counter", "Captures abandoned at --max-song-bytes.");
  out += fmt::format("serenade_captures_too_large_total {}\n", hubs.captures_too_large.load());
  family(out, "serenade_edge_connections_total", "counter",
         "Connections to the instance that owns a song, read as an edge instead of opening Sonauto's stream.");
  out += fmt::format("serenade_edge_connections_total {}\n", hubs.edge_connections.load());
  family(out, "serenade_captures_resumed_total", "counter", "Captures reopened with bytes kept from a previous run.");
  out += fmt::format("serenade_captures_resumed_total {}\n", hubs.captures_resumed.load());
  family(out, "serenade_captures_completed_total", "counter", "Captures that hold the whole song.");
  out += fmt::format("serenade_captures_completed_total {}\n", hubs.captures_completed.load());
  family(out, "serenade_capture_ends_total", "counter",
         "How completed captures ended: Sonauto's final chunk, a cut once generation was over, or expiry.");
  out += fmt::format("serenade_capture_ends_total{{end=\"final_chunk\"}} {}\n",
                     hubs.captures_ended_final_chunk.load());
  out += fmt::format("serenade_capture_ends_total{{end=\"cut_after_generation\"}} {}\n",
                     hubs.captures_ended_cut.load());
  out += fmt::format("serenade_capture_ends_total{{end=\"expired\"}} {}\n", hubs.captures_ended_expired.load());
  family(out, "serenade_live_steps_total", "counter",
         "Steps in which new captured bytes were shown to a song's listeners (each wakes them once).");
  out += fmt::format("serenade_live_steps_total {}\n", hubs.live_steps.load());
  family(out, "serenade_capture_pieces_total", "counter", "Pieces of new audio read from upstream streams.");
  out += fmt::format("serenade_capture_pieces_total {}\n", hubs.capture_pieces.load());
  family(out, "serenade_capture_bytes_total", "counter", "Bytes appended to live captures.");
  out += fmt::format("serenade_capture_bytes_total {}\n", hubs.capture_bytes.load());
  family(out, "serenade_capture_write_failures_total", "counter", "Captures that could not be written or opened.");
  out += fmt::format("serenade_capture_write_failures_total {}\n", hubs.capture_write_failures.load());
  family(out, "serenade_archive_unavailable_total", "counter", "Listeners refused because the archive failed.");
  out += fmt::format("serenade_archive_unavailable_total {}\n", archive_unavailable.load());
  family(out, "serenade_finalisations_total", "counter", "Final copies fetched, verified and stored.");
  out += fmt::format("serenade_finalisations_total{{outcome=\"ok\"}} {}\n", finals.ok.load());
  out += fmt::format("serenade_finalisations_total{{outcome=\"failed\"}} {}\n", finals.failed.load());
  family(out, "serenade_final_copy_given_up_total", "counter",
         "Songs whose CDN copy is no longer fetched: gone (404/410) or failing too often; they keep their live copy.");
  out += fmt::format("serenade_final_copy_given_up_total {}\n", finals.given_up.load());
  family(out, "serenade_stalled_listeners_closed_total", "counter",
         "Listeners closed because their socket accepted no bytes for the write timeout.");
  out += fmt::format("serenade_stalled_listeners_closed_total {}\n", hubs.stalled_listeners_closed.load());
  family(out, "serenade_listeners_ended_total", "counter", "Live listeners ended early, by cause.");
  out += fmt::format("serenade_listeners_ended_total{{outcome=\"listener_gone\"}} {}\n", hubs.listeners_gone.load());
  out += fmt::format("serenade_listeners_ended_total{{outcome=\"upstream_failed\"}} {}\n",
                     hubs.listeners_cut_by_upstream.load());
  family(out, "serenade_memory_releases_total", "counter", "Free memory handed back after a crowd left.");
  out += fmt::format("serenade_memory_releases_total {}\n", memory_releases.load());
  family(out, "serenade_submissions_refused_total", "counter", "Submissions refused by a guard (429; credits: 503).");
  out += fmt::format("serenade_submissions_refused_total{{guard=\"client_rate\"}} {}\n",
                     lifecycle.refused_client_rate.load());
  out += fmt::format("serenade_submissions_refused_total{{guard=\"generating_cap\"}} {}\n",
                     lifecycle.refused_generating_cap.load());
  out += fmt::format("serenade_submissions_refused_total{{guard=\"range_share\"}} {}\n",
                     lifecycle.refused_range_share.load());
  out += fmt::format("serenade_submissions_refused_total{{guard=\"daily_budget\"}} {}\n",
                     lifecycle.refused_daily_budget.load());
  out += fmt::format("serenade_submissions_refused_total{{guard=\"credits\"}} {}\n", lifecycle.refused_no_credits.load());
  if (const auto credits = lifecycle.credits.balance()) {
    family(out, "serenade_sonauto_credits", "gauge",
           "Sonauto's credit balance as last checked, less the songs created since (100 credits each).");
    out += fmt::format("serenade_sonauto_credits {}\n", *credits);
  }
  family(out, "serenade_upstream_refusals_total", "counter", "Generations Sonauto refused for our account.");
  out += fmt::format("serenade_upstream_refusals_total{{reason=\"out_of_credits\"}} {}\n",
                     lifecycle.upstream_out_of_credits.load());
  out += fmt::format("serenade_upstream_refusals_total{{reason=\"misconfigured\"}} {}\n",
                     lifecycle.upstream_misconfigured.load());
  family(out, "serenade_upstream_answers_unusable_total", "counter",
         "Sonauto answers that could not be used (a task id another song already has).");
  out += fmt::format("serenade_upstream_answers_unusable_total {}\n", lifecycle.upstream_answers_unusable.load());
  family(out, "serenade_creates_unconfirmed_total", "counter",
         "Creates whose answer was lost (the generation may exist): kept, waiting for a webhook to name the task.");
  out += fmt::format("serenade_creates_unconfirmed_total {}\n", lifecycle.creates_unconfirmed.load());
  family(out, "serenade_creates_unconfirmed_ended_total", "counter",
         "Waits of unconfirmed creates that ended: a webhook named the task, or none did in time (the song failed).");
  out += fmt::format("serenade_creates_unconfirmed_ended_total{{outcome=\"confirmed\"}} {}\n",
                     lifecycle.creates_confirmed.load());
  out += fmt::format("serenade_creates_unconfirmed_ended_total{{outcome=\"never_confirmed\"}} {}\n",
                     lifecycle.creates_never_confirmed.load());
  family(out, "serenade_songs_taken_back_total", "counter", "Songs their makers deleted (DELETE with the owner token).");
  out += fmt::format("serenade_songs_taken_back_total {}\n", lifecycle.songs_taken_back.load());
  family(out, "serenade_songs_taken_over_total", "counter",
         "Songs whose work this instance took over when their lease ran out or was given back (shared database).");
  out += fmt::format("serenade_songs_taken_over_total {}\n", lifecycle.songs_taken_over.load());
  family(out, "serenade_lease_terms_lost_total", "counter",
         "Times this instance could not renew its leases in time and stopped the work it held (shared database).");
  out += fmt::format("serenade_lease_terms_lost_total {}\n", lifecycle.lease_terms_lost.load());
  family(out, "serenade_webhooks_total", "counter", "Sonauto webhooks received, by outcome.");
  out += fmt::format("serenade_webhooks_total{{outcome=\"accepted\"}} {}\n", from.webhooks.accepted.load());
  out += fmt::format("serenade_webhooks_total{{outcome=\"wrong_token\"}} {}\n", from.webhooks.rejected_token.load());
  out += fmt::format("serenade_webhooks_total{{outcome=\"unknown_task\"}} {}\n", from.webhooks.unknown_task.load());
  out += fmt::format("serenade_webhooks_total{{outcome=\"confirmed_create\"}} {}\n",
                     from.webhooks.confirmed_create.load());
  out += fmt::format("serenade_webhooks_total{{outcome=\"without_task\"}} {}\n", from.webhooks.without_task.load());
  if (const auto* c = from.connections) {
    family(out, "serenade_connections_refused_total", "counter",
           "Connections refused at once: the server's limit (503) or the client's share (429).");
    out += fmt::format("serenade_connections_refused_total{{reason=\"limit\"}} {}\n", c->refused_at_limit.load());
    out += fmt::format("serenade_connections_refused_total{{reason=\"client_share\"}} {}\n",
                       c->refused_client_at_cap.load());
    family(out, "serenade_connections_closed_total", "counter",
           "Connections closed by the server: idle ones to make room, file answers read below the minimum rate.");
    out += fmt::format("serenade_connections_closed_total{{reason=\"idle_for_room\"}} {}\n",
                       c->idle_closed_for_room.load());
    out += fmt::format("serenade_connections_closed_total{{reason=\"too_slow\"}} {}\n", c->file_answers_too_slow.load());
  }
  family(out, "serenade_http_requests_total", "counter", "HTTP requests answered, by route and status.");
  std::lock_guard lock(mutex_);
  for (const auto& [key, count] : requests_) {
    out += fmt::format("serenade_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", label_value(key.first),
                       key.second, count);
  }
  return out;
}

}  // namespace serenade::api
