#include "sonauto/wire.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>

namespace serenade::sonauto::wire {
namespace json = boost::json;

namespace {

constexpr std::size_t json_detail_max = 1000;  // a validation error list can be long, but not unbounded
constexpr std::size_t text_detail_max = 200;

failure malformed(std::string what) {
  return failure{failure_kind::protocol, std::string(stage::read_body), 0, std::move(what)};
}

// A string, or nullopt for null, missing or any other type: the result endpoint may add or null out fields.
std::optional<std::string> string_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

std::vector<std::string> strings_field(const json::object& object, std::string_view key) {
  std::vector<std::string> out;
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_array()) return out;
  for (const auto& item : value->get_array()) {
    if (item.is_string()) out.emplace_back(item.get_string());
  }
  return out;
}

bool is_status_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string_view trim(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

// FastAPI's detail: a string, or a list of {"loc", "msg", "type"}; other shapes are serialised as they are.
std::string detail_text(const json::value& detail) {
  if (detail.is_string()) return std::string(detail.get_string());
  if (detail.is_array()) {
    std::string joined;
    for (const auto& item : detail.get_array()) {
      std::string msg;
      if (item.is_string()) {
        msg = item.get_string();
      } else if (item.is_object()) {
        if (auto text = string_field(item.get_object(), "msg")) msg = std::move(*text);
      }
      if (msg.empty()) msg = json::serialize(item);
      if (!joined.empty()) joined += "; ";
      joined += msg;
    }
    return joined;
  }
  if (detail.is_null()) return {};
  return json::serialize(detail);
}

}  // namespace

std::string create_body(const generation_request& request) {
  json::object body;
  body["prompt"] = request.prompt;
  if (!request.tags.empty()) {
    json::array tags;
    for (const auto& tag : request.tags) tags.emplace_back(tag);
    body["tags"] = std::move(tags);
  }
  if (request.lyrics) body["lyrics"] = *request.lyrics;
  body["enable_streaming"] = true;
  body["stream_format"] = "mp3";
  body["output_format"] = "mp3";
  body["output_bit_rate"] = 192;
  if (request.webhook_url) body["webhook_url"] = *request.webhook_url;
  return json::serialize(body);
}

outcome<std::string> parse_task_id(std::string_view body) {
  json::error_code ec;
  auto value = json::parse(body, ec);
  if (ec) return malformed("create answer is not JSON: " + ec.message());
  if (!value.is_object()) return malformed("create answer is not a JSON object");
  auto id = string_field(value.get_object(), "task_id");
  if (!id || id->empty()) return malformed("create answer has no task_id");
  return std::move(*id);
}

outcome<status_report> parse_status(std::string_view body) {
  json::error_code ec;
  auto value = json::parse(body, ec);
  if (!ec && value.is_string() && !value.get_string().empty()) return report_of(value.get_string());
  if (!ec && value.is_object()) {
    if (auto status = string_field(value.get_object(), "status"); status && !status->empty()) return report_of(*status);
  }
  // Not the documented quoted string; a bare token is a plausible alternative worth accepting.
  auto bare = trim(body);
  if (is_status_token(bare)) return report_of(bare);
  return malformed("status answer is neither a JSON string nor a status token");
}

outcome<generation_result> parse_result(std::string_view body) {
  json::error_code ec;
  auto value = json::parse(body, ec);
  if (ec) return malformed("result answer is not JSON: " + ec.message());
  if (!value.is_object()) return malformed("result answer is not a JSON object");
  const auto& object = value.get_object();
  generation_result result;
  result.id = string_field(object, "id").value_or("");
  result.status = string_field(object, "status").value_or("");
  result.song_paths = strings_field(object, "song_paths");
  result.error_message = string_field(object, "error_message");
  result.lyrics = string_field(object, "lyrics");
  result.tags = strings_field(object, "tags");
  return result;
}

outcome<credit_balance> parse_credits(std::string_view body) {
  json::error_code ec;
  auto value = json::parse(body, ec);
  if (ec) return malformed("credits answer is not JSON: " + ec.message());
  if (!value.is_object()) return malformed("credits answer is not a JSON object");
  const auto& object = value.get_object();
  const auto count = [&](std::string_view key) -> std::optional<std::int64_t> {
    const auto* field = object.if_contains(key);
    if (!field) return std::int64_t{0};
    if (field->is_int64() && field->as_int64() >= 0) return field->as_int64();
    if (field->is_uint64() && field->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
      return static_cast<std::int64_t>(field->as_uint64());
    }
    return std::nullopt;
  };
  if (!object.contains("num_credits")) return malformed("credits answer has no num_credits");
  const auto credits = count("num_credits");
  const auto payg = count("num_credits_payg");
  if (!credits || !payg) return malformed("credits answer has a count that is not a non-negative integer");
  credit_balance balance;
  balance.credits = *credits;
  balance.payg_credits = *payg;
  return balance;
}

std::string error_detail(unsigned status, std::string_view raw_body, std::string_view secret) {
  // Scrub the raw body first (covers non-JSON echoes), then the decoded text (covers JSON \u escapes), then cut.
  const std::string body = redact(std::string(raw_body), secret);
  std::string text;
  json::error_code ec;
  auto value = json::parse(body, ec);
  if (!ec && value.is_object()) {
    const auto& object = value.get_object();
    if (const auto* detail = object.if_contains("detail")) {
      text = one_line(redact(detail_text(*detail), secret), json_detail_max);
    } else if (auto message = string_field(object, "message")) {
      text = one_line(redact(*message, secret), json_detail_max);
    } else if (auto error = string_field(object, "error")) {
      text = one_line(redact(*error, secret), json_detail_max);
    }
  }
  if (text.empty()) text = one_line(body, text_detail_max);
  if (text.empty()) text = "HTTP " + std::to_string(status);
  return text;
}

std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  constexpr std::string_view mask = "[redacted]";
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + mask.size())) {
    text.replace(at, secret.size(), mask);
  }
  return text;
}

std::string one_line(std::string_view text, std::size_t max_bytes) {
  constexpr std::string_view ellipsis = "…";
  std::string out;
  for (char c : trim(text)) {
    auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7f) ? ' ' : c;
  }
  if (out.size() <= max_bytes) return out;
  std::size_t cut = max_bytes > ellipsis.size() ? max_bytes - ellipsis.size() : 0;
  // Step back over UTF-8 continuation bytes so a code point is never split.
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  out = std::string(trim(out));
  out += ellipsis;
  return out;
}

}  // namespace serenade::sonauto::wire
