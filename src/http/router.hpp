#pragma once
// Maps method + path to a handler. Patterns are literal segments and {name} captures, e.g.
// "/api/stream/{session_id}"; a final "{*rest}" captures the remainder (static files).
// An unknown path is 404; a known path with another method is 405 with an Allow header.
#include "http/exchange.hpp"

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace serenade::http {

struct route_params {
  std::vector<std::pair<std::string, std::string>> values;
  std::string_view get(std::string_view name) const;
};

using handler = std::function<boost::asio::awaitable<void>(exchange&, const route_params&)>;

class router {
 public:
  // GET routes also answer HEAD unless a HEAD route is given.
  void add(std::string method, std::string pattern, handler h);

  struct match {
    const handler* found = nullptr;
    route_params params;
    std::string pattern;      // the route's pattern, a stable label for metrics and logs
    std::string allow;        // for 405: the methods the path does accept
  };
  match find(std::string_view method, std::string_view path) const;

 private:
  struct route {
    std::string method;
    std::vector<std::string> segments;
    std::string pattern;
    handler h;
  };
  static bool matches(const route& r, const std::vector<std::string_view>& parts, route_params& params);
  std::vector<route> routes_;
};

}  // namespace serenade::http
