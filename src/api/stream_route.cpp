#include "api/stream_route.hpp"

#include "api/finished_songs.hpp"
#include "api/http_answers.hpp"
#include "api/metrics.hpp"
#include "api/routes.hpp"
#include "api/relay_key.hpp"
#include "api/stream_shares.hpp"
#include "archive/song_copies.hpp"
#include "http/conditional.hpp"
#include "lifecycle/submissions.hpp"
#include "live/hub_table.hpp"
#include "live/listener.hpp"

namespace serenade::api {

namespace asio = boost::asio;
using http::exchange;

namespace {

constexpr std::string_view final_cache_control = "private, max-age=31536000, immutable";

std::string_view unquoted(std::string_view etag) {
  return etag.size() >= 2 && etag.front() == '"' && etag.back() == '"' ? etag.substr(1, etag.size() - 2) : etag;
}

std::string pinned_url(const route_context& ctx, std::string_view session_id, const open_song& song) {
  return ctx.public_url + "/api/stream/" + std::string(session_id) + "?v=" + std::string(unquoted(song.identity.etag));
}

// A finished song is a plain file: Range, HEAD and validators like a static file server. `content_location`:
// the copy's own URL, sent when it was asked for by the song's general one.
asio::awaitable<void> serve_song_file(route_context& ctx, exchange& ex, const open_song& song,
                                      std::string_view cache_control, std::string content_location) {
  auto answer = http::answer_for_file(ex.req(), song.identity, "audio/mpeg", cache_control);
  if (!content_location.empty() && answer.status != 416) {
    answer.headers.emplace_back("Content-Location", std::move(content_location));
  }
  if (answer.status == 200 || answer.status == 206) {
    ++ctx.metrics.listeners_final;
    co_await ex.respond_with_file(answer.status, std::move(answer.headers), song.fd, answer.offset, answer.length);
    --ctx.metrics.listeners_final;
    ctx.metrics.final_bytes_relayed += ex.body_bytes_sent();
  } else {
    http::response r;
    r.status = answer.status;
    r.headers = std::move(answer.headers);
    co_await ex.respond(std::move(r));
  }
}

std::vector<archive::servable_copy> kept_copies(const route_context& ctx, const store::submission& s) {
  std::optional<std::string> verified_sha256;
  if (s.archive && s.archive->source == "cdn") verified_sha256 = s.archive->sha256;
  return archive::copies_to_serve(ctx.archive_dir, s.session_id, verified_sha256);
}

// The copy archive says serves a song that is no longer live; a verified final copy is remembered open for the
// next request. False when none exists.
asio::awaitable<bool> serve_archived_copy(route_context& ctx, exchange& ex, const store::submission& s) {
  const auto now = std::chrono::steady_clock::now();
  for (auto& copy : kept_copies(ctx, s)) {
    const auto song = open_song_file(copy.path, std::move(copy.etag), now);
    if (!song) continue;
    if (copy.immutable && ctx.finished) ctx.finished->remember(s.session_id, song);
    co_await serve_song_file(ctx, ex, *song, copy.immutable ? final_cache_control : "no-cache",
                             pinned_url(ctx, s.session_id, *song));
    co_return true;
  }
  co_return false;
}

// ?v=: the kept copy whose ETag is `version`. Each copy's bytes never change under its ETag, so the answer may be
// cached for good whichever copy it is.
asio::awaitable<void> serve_pinned_copy(route_context& ctx, exchange& ex, std::string_view session_id,
                                        std::string_view version) {
  const auto now = std::chrono::steady_clock::now();
  if (ctx.finished) {
    const auto song = ctx.finished->find(session_id, now);
    if (song && unquoted(song->identity.etag) == version) {
      co_return co_await serve_song_file(ctx, ex, *song, final_cache_control, "");
    }
  }
  const auto s = co_await ctx.submissions.find(session_id);
  if (!s) co_return co_await ex.respond(answer_for(request_refusal::session_not_found));
  if (s->deleted_at) co_return co_await ex.respond(answer_for(request_refusal::song_taken_back));
  for (auto& copy : kept_copies(ctx, *s)) {
    const auto song = open_song_file(copy.path, std::move(copy.etag), now);
    if (song && unquoted(song->identity.etag) == version) {
      co_return co_await serve_song_file(ctx, ex, *song, final_cache_control, "");
    }
  }
  co_await ex.respond(answer_for(request_refusal::song_copy_not_found));
}

}  // namespace

asio::awaitable<void> stream_song(route_context& ctx, exchange& ex, const http::route_params& p) {
  const auto id = p.get("session_id");
  if (const auto version = ex.req().query_parameter("v")) co_return co_await serve_pinned_copy(ctx, ex, id, *version);
  if (ctx.finished) {
    if (const auto song = ctx.finished->find(id, std::chrono::steady_clock::now())) {
      co_return co_await serve_song_file(ctx, ex, *song, final_cache_control, pinned_url(ctx, id, *song));
    }
  }
  auto s = co_await ctx.submissions.find(id);
  if (!s) co_return co_await ex.respond(answer_for(request_refusal::session_not_found));
  if (s->deleted_at) co_return co_await ex.respond(answer_for(request_refusal::song_taken_back));
  if (!s->task_id) co_return co_await ex.respond(answer_for(request_refusal::no_generation));
  if (!s->streaming_ready_at) co_return co_await ex.respond(answer_for(request_refusal::stream_not_ready));
  if (co_await serve_archived_copy(ctx, ex, *s)) co_return;
  // A listener never makes Sonauto work again right after it failed, and HEAD never makes it work at all.
  if (const auto pause = ctx.hubs.failed_lately(s->session_id, *s->task_id)) {
    auto refused = answer_for(live::start_refusal{live::start_refusal::reason::failed_lately, *pause});
    co_return co_await ex.respond(std::move(refused));
  }
  if (ex.req().is_head()) co_return co_await live::answer_live_head(ex);
  std::optional<core::keyed_slots::slot> share;
  const bool relay = is_relay(ex.req(), ctx.relay_key);
  if (ctx.streams && !relay && !(share = ctx.streams->take(ex.req()))) {
    co_return co_await ex.respond(answer_for(request_refusal::too_many_streams));
  }
  auto song = ctx.hubs.ensure(s->session_id, *s->task_id);
  if (!song) {
    ++ctx.metrics.archive_unavailable;
    // Built before the co_await: GCC mishandles braced temporaries inside a co_await expression.
    auto refused = answer_for(live::start_refusal{live::start_refusal::reason::archive_unavailable});
    co_return co_await ex.respond(std::move(refused));
  }
  // The submission's strings (lyrics, prompt, ...) are not needed while the song plays; a listener stays minutes.
  s.reset();
  auto refused = co_await live::serve_listener(ex, std::move(song), ctx.hubs.counters(), ctx.stream_start_timeout);
  if (refused) co_await ex.respond(answer_for(*refused));
}

}  // namespace serenade::api
