#pragma once
// Maps method + path to a handler. Patterns are literal segments and {name} captures, e.g.
// "/api/stream/{session_id}"; a final "{*rest}" captures the remainder (static files).
// An unknown path is 404; a known path with another method is 405 with an Allow header.
#include "http/exchange.hpp"

#include <boost/container/small_vector.hpp>

#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace serenade::http {

// Views into the router's patterns and into the path given to find(): valid while that path is (for a request,
// until the next request on its connection). Nothing is copied or allocated per request.
struct route_params {
  boost::container::small_vector<std::pair<std::string_view, std::string_view>, 4> values;
  std::string_view get(std::string_view name) const;
};

using handler = std::function<boost::asio::awaitable<void>(exchange&, const route_params&)>;

// How route modules register: each exposes add_<part>_routes(router&, <part>_route_context&), whose handlers are
// named functions taking that context first, bound here:
//   r.add("GET", "/api/submissions/{session_id}/events", http::with_context(ctx, serve_events));
// The context must outlive the router.
template <class Context>
handler with_context(Context& context,
                     boost::asio::awaitable<void> (*serve)(Context&, exchange&, const route_params&)) {
  return [&context, serve](exchange& ex, const route_params& p) { return serve(context, ex, p); };
}

class router {
 public:
  // GET routes also answer HEAD unless a HEAD route is given.
  void add(std::string method, std::string pattern, handler h);

  struct match {
    const handler* found = nullptr;
    route_params params;
    std::string_view pattern;  // the route's pattern, a stable label for metrics and logs (lives in the router)
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
  static bool matches(const route& r, std::span<const std::string_view> parts, std::string_view path,
                      route_params& params);
  std::vector<route> routes_;
};

}  // namespace serenade::http
