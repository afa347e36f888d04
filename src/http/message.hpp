#pragma once
// Serenade's own view of an HTTP request and a fixed response, so route handlers never see Beast types.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace serenade::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct request {
  std::string method;  // as sent, e.g. "GET"
  std::string target;  // path and query as sent
  std::string path;    // target without the query
  std::string query;
  header_list headers;
  std::string body;
  std::string remote_address;
  bool keep_alive = true;

  // Case-insensitive lookup of the first header with this name.
  std::optional<std::string_view> header(std::string_view name) const;
  bool is_head() const { return method == "HEAD"; }
  // The first value of query parameter `name`, percent-decoded; nullopt when absent or the query is malformed.
  std::optional<std::string> query_parameter(std::string_view name) const;
};

struct response {
  unsigned status = 200;
  header_list headers;
  std::string body;

  response& set(std::string name, std::string value);
};

// ASCII case-insensitive equality, as HTTP field names compare. Inline: the length check alone settles most
// comparisons of header names, and the response writer makes dozens per answer.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// {"detail": "..."}, the error shape of every API failure (FastAPI-compatible with the seed).
response error_response(unsigned status, std::string_view detail);
// A JSON document with the API's standard headers (no caching; every answer is marked nosniff by the server).
response json_response(unsigned status, std::string json);

std::string_view reason_phrase(unsigned status);

}  // namespace serenade::http
