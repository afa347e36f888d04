#include "http/message.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/decode_view.hpp>
#include <boost/url/parse_query.hpp>

namespace serenade::http {

std::optional<std::string_view> request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<std::string> request::query_parameter(std::string_view name) const {
  const auto params = boost::urls::parse_query(query);
  if (!params) return std::nullopt;
  for (const auto& param : *params) {
    if (*param.key == name && param.has_value) return param.value.decode();
  }
  return std::nullopt;
}

response& response::set(std::string name, std::string value) {
  for (auto& [key, existing] : headers) {
    if (iequals(key, name)) {
      existing = std::move(value);
      return *this;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

response json_response(unsigned status, std::string json) {
  response r;
  r.status = status;
  r.body = std::move(json);
  r.set("Content-Type", "application/json");
  r.set("Cache-Control", "no-store");
  return r;
}

response error_response(unsigned status, std::string_view detail) {
  boost::json::object body;
  body["detail"] = detail;
  return json_response(status, boost::json::serialize(body));
}

std::string_view reason_phrase(unsigned status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

}  // namespace serenade::http
