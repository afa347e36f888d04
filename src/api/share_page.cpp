#include "api/share_page.hpp"

#include "api/http_answers.hpp"
#include "api/routes.hpp"
#include "card/card_files.hpp"
#include "card/preview.hpp"
#include "core/blocking_pool.hpp"
#include "core/ids.hpp"
#include "http/static_site.hpp"
#include "lifecycle/submissions.hpp"

#include <algorithm>

namespace serenade::api {

namespace asio = boost::asio;

namespace {

// Where the page's head receives the tags (web/index.html); before </head> when a page has no such mark.
constexpr std::string_view tags_mark = "<!-- share-preview -->";

// A song's card changes only with its variant, which is in its URL; a day bounds how long a browser keeps the
// card of a song that is gone. Private: a shared cache in front of Serenade keeps no names.
constexpr const char* song_card_cache = "private, max-age=86400";
constexpr const char* nameless_card_cache = "public, max-age=86400";

// The song a share link names, if any; junk never reaches the store.
asio::awaitable<std::optional<store::submission>> song_named(route_context& ctx, const std::string& id) {
  if (!ids::looks_like_token(id)) co_return std::nullopt;
  co_return co_await ctx.submissions.find(id);
}

// With no public URL the links are relative: the Host header is the client's word, and a page built from it
// would point its image and audio wherever a request's Host said.
card::preview_links links_for(const route_context& ctx, const std::string& id,
                              const std::optional<store::submission>& found,
                              const std::optional<card::song_preview>& song) {
  const auto& base = ctx.public_url;
  card::preview_links links;
  if (!song) {
    links.card_url = base + "/card.png";
    return links;
  }
  if (!base.empty()) links.page_url = base + "/s/" + id;
  links.card_url = base + "/s/" + id + "/card.png?v=" + card::card_variant(*song);
  if (found->archive) links.audio_url = base + "/api/stream/" + id;
  return links;
}

std::string with_tags(std::string_view page, const std::string& tags) {
  std::string out(page);
  auto at = out.find(tags_mark);
  if (at != std::string::npos) {
    const auto line = out.rfind('\n', at) + 1;  // npos + 1 is 0: the mark on the first line
    const auto line_end = std::min(out.find('\n', at), out.size() - 1) + 1;
    return out.replace(line, line_end - line, tags);
  }
  at = out.find("</head>");
  if (at != std::string::npos) out.insert(at, tags);
  return out;
}

http::response png_answer(std::string png, const char* cache_control,
                          std::optional<std::string_view> if_none_match) {
  http::response r;
  const auto etag = http::content_etag(png);
  r.set("ETag", etag);
  r.set("Cache-Control", cache_control);
  if (if_none_match && *if_none_match == etag) {
    r.status = 304;
    return r;
  }
  r.set("Content-Type", "image/png");
  r.body = std::move(png);
  return r;
}

asio::awaitable<std::string> nameless_png(route_context& ctx) {
  auto draw = [&] { return ctx.cards->nameless_card(); };
  co_return co_await core::run_on(ctx.card_pool, draw);
}

}  // namespace

card::song_preview preview_of(const store::submission& s) {
  card::song_preview song{s.sender, s.recipient, std::nullopt};
  if (s.archive && s.archive->duration_ms > 0) song.duration = std::chrono::milliseconds(s.archive->duration_ms);
  return song;
}

asio::awaitable<void> share_page(route_context& ctx, http::exchange& ex, const http::route_params& p) {
  const std::string id(p.get("session_id"));
  const auto found = co_await song_named(ctx, id);
  const bool taken_back = found && found->deleted_at;
  // A song taken back answers 410 with a page that says so; its preview names nobody.
  const auto page = ctx.site.content(taken_back ? "/gone.html" : "/index.html");
  if (!page) co_return co_await ex.respond(answer_for(request_refusal::page_not_found));
  std::optional<card::song_preview> song;
  if (found && !taken_back) song = preview_of(*found);
  const auto tags = card::preview_head_tags(song, links_for(ctx, id, found, song));
  const auto validator = taken_back ? std::nullopt : ex.req().header("If-None-Match");
  auto answer = http::html_page(with_tags(*page, tags), validator);
  if (taken_back) {
    answer.status = 410;
    answer.set("Cache-Control", "no-store");
  }
  co_await ex.respond(std::move(answer));
}

asio::awaitable<void> song_card(route_context& ctx, http::exchange& ex, const http::route_params& p) {
  const std::string id(p.get("session_id"));
  const auto found = co_await song_named(ctx, id);
  if (!found || found->deleted_at) {
    auto png = co_await nameless_png(ctx);
    co_return co_await ex.respond(png_answer(std::move(png), nameless_card_cache, ex.req().header("If-None-Match")));
  }
  const auto song = preview_of(*found);
  auto draw = [&] { return ctx.cards->song_card(id, song); };
  auto png = co_await core::run_on(ctx.card_pool, draw);
  co_await ex.respond(png_answer(std::move(png), song_card_cache, ex.req().header("If-None-Match")));
}

asio::awaitable<void> nameless_card(route_context& ctx, http::exchange& ex, const http::route_params&) {
  auto png = co_await nameless_png(ctx);
  co_await ex.respond(png_answer(std::move(png), nameless_card_cache, ex.req().header("If-None-Match")));
}

}  // namespace serenade::api
