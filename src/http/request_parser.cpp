#include "http/detail/request_parser.hpp"

#include <boost/beast/http/error.hpp>

#include <string_view>

namespace serenade::http::detail {

namespace beast = boost::beast;

namespace {
// A body larger than this is not kept between requests: one upload must not pin its buffer for the
// connection's lifetime.
constexpr std::size_t kept_body_capacity = 16 * 1024;

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The body's length must be certain, or a proxy in front and this server could disagree on where the next
// request starts (request smuggling). The only transfer coding accepted is a single `chunked`, never with a
// Content-Length and never in HTTP/1.0; everything else is refused before the body is read.
bool framing_is_ambiguous(const request& req, int version) {
  std::size_t codings = 0;
  bool only_chunked = true;
  bool has_length = false;
  for (const auto& [name, value] : req.headers) {
    if (iequals_ascii(name, "Content-Length")) has_length = true;
    if (!iequals_ascii(name, "Transfer-Encoding")) continue;
    std::string_view rest = value;
    for (;;) {
      const auto comma = rest.find(',');
      const auto coding = trimmed(rest.substr(0, comma));
      ++codings;
      if (!iequals_ascii(coding, "chunked")) only_chunked = false;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (codings == 0) return false;
  return codings != 1 || !only_chunked || has_length || version < 11;
}

}  // namespace

request_parser::request_parser(request& into, std::uint32_t header_limit, std::uint64_t body_limit)
    : request_(into) {
  this->header_limit(header_limit);
  this->body_limit(body_limit);
  eager(true);
  request_.method.clear();
  request_.target.clear();
  request_.path.clear();
  request_.query.clear();
  if (request_.body.capacity() > kept_body_capacity) {
    std::string().swap(request_.body);
  } else {
    request_.body.clear();
  }
  request_.keep_alive = true;
}

void request_parser::on_request_impl(beast::http::verb, beast::string_view method, beast::string_view target,
                                     int version, beast::error_code&) {
  version_ = version;
  request_.method.assign(method.data(), method.size());
  request_.target.assign(target.data(), target.size());
  const std::string_view whole(request_.target);
  const auto question = whole.find('?');
  request_.path.assign(whole.substr(0, question));
  if (question != std::string_view::npos) request_.query.assign(whole.substr(question + 1));
}

void request_parser::on_field_impl(beast::http::field, beast::string_view name, beast::string_view value,
                                   beast::error_code&) {
  auto& headers = request_.headers;
  if (fields_ < headers.size()) {
    headers[fields_].first.assign(name.data(), name.size());
    headers[fields_].second.assign(value.data(), value.size());
  } else {
    headers.emplace_back(std::string(name.data(), name.size()), std::string(value.data(), value.size()));
  }
  ++fields_;
}

void request_parser::on_header_impl(beast::error_code& ec) {
  request_.headers.resize(fields_);
  if (framing_is_ambiguous(request_, version_)) {
    ec = beast::http::error::bad_transfer_encoding;
    return;
  }
  request_.keep_alive = keep_alive();
}

void request_parser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length, beast::error_code&) {
  // Beast has already refused a Content-Length above the body limit.
  if (content_length) request_.body.reserve(static_cast<std::size_t>(*content_length));
}

std::size_t request_parser::on_body_impl(beast::string_view body, beast::error_code&) {
  request_.body.append(body.data(), body.size());
  return body.size();
}

std::size_t request_parser::on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code&) {
  request_.body.append(body.data(), body.size());
  return body.size();
}

void request_parser::on_finish_impl(beast::error_code&) { request_.keep_alive = keep_alive(); }

}  // namespace serenade::http::detail
