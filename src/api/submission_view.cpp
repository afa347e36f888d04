#include "api/submission_view.hpp"

#include "api/share_page.hpp"
#include "card/card_files.hpp"
#include "lifecycle/task_status.hpp"

#include <boost/json.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

namespace serenade::api {

namespace json = boost::json;

std::string iso_time(store::time_point t) {
  const auto ms = t.time_since_epoch().count() % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", std::chrono::floor<std::chrono::seconds>(t), ms);
}

namespace {
json::value optional_time(const std::optional<store::time_point>& t) {
  return t ? json::value(iso_time(*t)) : json::value(nullptr);
}

void add_links(json::object& out, const std::string& id, const std::string& base) {
  out["status_url"] = base + "/api/submissions/" + id;
  out["stream_url"] = base + "/api/stream/" + id;
  out["share_url"] = base + "/s/" + id;
}
}  // namespace

std::string submission_json(const store::submission& s, const std::string& public_url) {
  const bool ready = s.streaming_ready_at.has_value();
  json::object out;
  out["session_id"] = s.session_id;
  out["status"] = s.status;
  const auto status = lifecycle::stored_status(s.status);
  // A song taken back is only a tombstone: the readers still watching it learn that it is gone.
  out["phase"] = s.deleted_at ? "deleted" : lifecycle::phase_of(status, ready);
  out["stage"] = lifecycle::stage_of(status, ready);
  out["stream_ready"] = ready;
  out["sender"] = s.sender;
  out["recipient"] = s.recipient;
  out["style"] = s.style;
  out["created_at"] = iso_time(s.created_at);
  out["streaming_ready_at"] = optional_time(s.streaming_ready_at);
  out["completed_at"] = optional_time(s.completed_at);
  out["error"] = s.error ? json::value(*s.error) : json::value(nullptr);
  // What was sung once Sonauto says; until then the person's own lyrics, when they wrote them.
  if (s.lyrics && !s.lyrics->empty()) {
    out["lyrics"] = *s.lyrics;
  } else {
    out["lyrics"] = s.own_lyrics ? json::value(*s.own_lyrics) : json::value(nullptr);
  }
  json::array tags;
  for (const auto& t : s.tags) tags.emplace_back(t);
  out["tags"] = std::move(tags);
  out["attempt"] = s.attempts;
  add_links(out, s.session_id, public_url);
  // The picture its link previews with: the page shows it on the lock screen (Media Session artwork).
  out["card_url"] = public_url + "/s/" + s.session_id + "/card.png?v=" + card::card_variant(preview_of(s));
  return json::serialize(out);
}

std::string created_json(const store::submission& s, const std::string& public_url, const std::string& owner_token) {
  json::object out;
  out["session_id"] = s.session_id;
  out["owner_token"] = owner_token;
  add_links(out, s.session_id, public_url);
  return json::serialize(out);
}

}  // namespace serenade::api
