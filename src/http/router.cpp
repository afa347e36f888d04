#include "http/router.hpp"

#include <algorithm>

namespace serenade::http {

namespace {
// Path segments as views; a few dozen fit without touching the heap.
using path_parts = boost::container::small_vector<std::string_view, 16>;

path_parts split_path(std::string_view path) {
  path_parts parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}
}  // namespace

std::string_view route_params::get(std::string_view name) const {
  for (const auto& [key, value] : values) {
    if (key == name) return value;
  }
  return {};
}

void router::add(std::string method, std::string pattern, handler h) {
  route r{std::move(method), {}, pattern, std::move(h)};
  for (auto part : split_path(pattern)) r.segments.emplace_back(part);
  routes_.push_back(std::move(r));
}

bool router::matches(const route& r, std::span<const std::string_view> parts, std::string_view path,
                     route_params& params) {
  params.values.clear();
  for (std::size_t i = 0; i < r.segments.size(); ++i) {
    const std::string_view segment = r.segments[i];
    if (segment.starts_with("{*")) {
      // The remaining segments joined by '/' are exactly the rest of the path from this segment on.
      const auto rest = i < parts.size() ? path.substr(static_cast<std::size_t>(parts[i].data() - path.data()))
                                         : std::string_view();
      params.values.emplace_back(segment.substr(2, segment.size() - 3), rest);
      return true;
    }
    if (i >= parts.size()) return false;
    if (segment.starts_with('{')) {
      if (parts[i].empty()) return false;
      params.values.emplace_back(segment.substr(1, segment.size() - 2), parts[i]);
    } else if (segment != parts[i]) {
      return false;
    }
  }
  return parts.size() == r.segments.size();
}

router::match router::find(std::string_view method, std::string_view path) const {
  match result;
  if (!path.starts_with('/')) return result;
  const auto parts = split_path(path);
  route_params params;
  const auto is_catch_all = [](const route& r) { return !r.segments.empty() && r.segments.back().starts_with("{*"); };
  const auto take = [&](const route& r) {
    result.found = &r.h;
    result.params = std::move(params);
    result.pattern = r.pattern;
    result.allow.clear();
  };
  // Exact routes first: a path they know answers 405 for other methods rather than falling to a catch-all.
  const route* head_fallback = nullptr;
  route_params head_params;
  boost::container::small_vector<std::string_view, 8> allowed;
  for (const auto& r : routes_) {
    if (is_catch_all(r) || !matches(r, parts, path, params)) continue;
    if (r.method == method) {
      take(r);
      return result;
    }
    if (method == "HEAD" && r.method == "GET" && !head_fallback) {
      head_fallback = &r;
      head_params = params;
    }
    allowed.push_back(r.method);
    if (r.method == "GET") allowed.emplace_back("HEAD");
  }
  boost::container::small_vector<std::string_view, 8> listed;
  for (const auto m : allowed) {
    if (std::find(listed.begin(), listed.end(), m) != listed.end()) continue;
    listed.push_back(m);
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += m;
  }
  if (head_fallback) {
    params = std::move(head_params);
    take(*head_fallback);
    return result;
  }
  if (!result.allow.empty()) return result;
  // Catch-alls: a route for this very method wins over a GET answering HEAD.
  for (const bool exact_method : {true, false}) {
    for (const auto& r : routes_) {
      if (!is_catch_all(r) || !matches(r, parts, path, params)) continue;
      if (exact_method ? r.method == method : (method == "HEAD" && r.method == "GET")) {
        take(r);
        return result;
      }
    }
  }
  return result;
}

}  // namespace serenade::http
