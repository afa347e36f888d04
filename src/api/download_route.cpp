#include "api/download_route.hpp"

#include "api/download_name.hpp"
#include "api/finished_songs.hpp"
#include "api/http_answers.hpp"
#include "api/metrics.hpp"
#include "api/routes.hpp"
#include "api/share_page.hpp"
#include "archive/paths.hpp"
#include "archive/tagged_download.hpp"
#include "card/card_files.hpp"
#include "core/blocking_pool.hpp"
#include "http/conditional.hpp"
#include "http/prefixed_body.hpp"
#include "lifecycle/submissions.hpp"

#include <algorithm>

namespace serenade::api {

namespace asio = boost::asio;
using http::exchange;

namespace {

// Revalidated on every use: the tag changes when its cover does (a new card design), and its ETag with it.
constexpr std::string_view download_cache_control = "private, no-cache";

archive::song_tag_fields tag_fields(const store::submission& s) {
  archive::song_tag_fields fields;
  const auto recipient = shown_name(s.recipient);
  const auto sender = shown_name(s.sender);
  fields.title = "For " + (recipient.empty() ? std::string("you") : recipient);
  fields.artist = (sender.empty() ? std::string("someone") : sender) + " \u00B7 Serenade";
  fields.lyrics = s.lyrics && !s.lyrics->empty() ? *s.lyrics : s.own_lyrics.value_or("");
  return fields;
}

struct prepared_download {
  std::optional<archive::tagged_download> download;
  std::shared_ptr<const open_song> song;
};

}  // namespace

asio::awaitable<void> download_song(route_context& ctx, exchange& ex, const http::route_params& p) {
  auto s = co_await ctx.submissions.find(p.get("session_id"));
  if (!s) co_return co_await ex.respond(answer_for(request_refusal::session_not_found));
  if (s->deleted_at) co_return co_await ex.respond(answer_for(request_refusal::song_taken_back));
  if (!s->archive) co_return co_await ex.respond(answer_for(request_refusal::song_not_finished));
  archive::download_source source;
  source.archive_dir = ctx.archive_dir;
  source.session_id = s->session_id;
  source.song_path = s->archive->source == "cdn" ? archive::final_path(ctx.archive_dir, s->session_id)
                                                 : archive::live_copy_path(ctx.archive_dir, s->session_id);
  source.song_sha256 = s->archive->sha256;
  source.fields = tag_fields(*s);
  const auto disposition = attachment_disposition(download_file_name(s->sender, s->recipient));
  if (ctx.cards) {
    auto draw = [&, preview = preview_of(*s)] { return ctx.cards->song_card(source.session_id, preview); };
    source.fields.cover_png = co_await core::run_on(ctx.card_pool, draw);
  }
  s.reset();

  auto prepare = [&] {
    prepared_download ready;
    ready.download = archive::prepare_tagged_download(source);
    if (ready.download) ready.song = open_song_file(source.song_path, std::string(), std::chrono::steady_clock::now());
    return ready;
  };
  auto ready = co_await core::run_on(ctx.disk, prepare);
  if (!ready.download || !ready.song) co_return co_await ex.respond(answer_for(request_refusal::song_file_unreadable));
  const auto& download = *ready.download;

  http::file_identity identity = ready.song->identity;
  identity.etag = download.etag;
  identity.last_modified_unix = std::max(identity.last_modified_unix, download.made_unix);
  identity.last_modified = http::http_date(identity.last_modified_unix);
  identity.length = download.tag.size() + (download.frames.end - download.frames.start);
  auto answer = http::answer_for_file(ex.req(), identity, "audio/mpeg", download_cache_control);
  answer.headers.emplace_back("Content-Disposition", disposition);
  if (answer.status != 200 && answer.status != 206) {
    http::response r;
    r.status = answer.status;
    r.headers = std::move(answer.headers);
    co_return co_await ex.respond(std::move(r));
  }
  const auto slice = http::slice_prefixed_body(download.tag.size(), answer.offset, answer.length);
  const auto prefix = std::string_view(download.tag).substr(slice.prefix_offset, slice.prefix_length);
  const auto file_offset = download.frames.start + slice.file_offset;
  ++ctx.metrics.listeners_final;
  co_await ex.respond_with_prefixed_file(answer.status, std::move(answer.headers), prefix, ready.song->fd, file_offset,
                                         slice.file_length);
  --ctx.metrics.listeners_final;
  ctx.metrics.final_bytes_relayed += ex.body_bytes_sent();
}

}  // namespace serenade::api
