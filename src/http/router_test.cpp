#include "http/router.hpp"

#include <boost/asio/awaitable.hpp>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace serenade::http {
namespace {

// A handler that is never called; its id tells which route a lookup picked.
struct tagged {
  int id;
  boost::asio::awaitable<void> operator()(exchange&, const route_params&) const { return {}; }
};

int id_of(const router::match& m) {
  if (!m.found) return -1;
  const auto* t = m.found->target<tagged>();
  return t ? t->id : -2;
}

std::string param(const router::match& m, std::string_view name) { return std::string(m.params.get(name)); }

TEST(router, finds_a_literal_route) {
  router r;
  r.add("GET", "/healthz", tagged{1});
  r.add("GET", "/api/info", tagged{2});
  auto m = r.find("GET", "/healthz");
  EXPECT_EQ(id_of(m), 1);
  EXPECT_EQ(m.pattern, "/healthz");
  EXPECT_TRUE(m.params.values.empty());
  EXPECT_EQ(m.allow, "");
  auto n = r.find("GET", "/api/info");
  EXPECT_EQ(id_of(n), 2);
  EXPECT_EQ(n.pattern, "/api/info");
}

TEST(router, finds_the_root_route_only_for_slash) {
  router r;
  r.add("GET", "/", tagged{1});
  auto m = r.find("GET", "/");
  EXPECT_EQ(id_of(m), 1);
  EXPECT_EQ(m.pattern, "/");
  EXPECT_EQ(r.find("GET", "/x").found, nullptr);
}

TEST(router, literals_are_case_sensitive) {
  router r;
  r.add("GET", "/healthz", tagged{1});
  EXPECT_EQ(r.find("GET", "/HEALTHZ").found, nullptr);
  EXPECT_EQ(r.find("get", "/healthz").found, nullptr);
}

TEST(router, captures_a_parameter) {
  router r;
  r.add("GET", "/api/submissions/{session_id}", tagged{1});
  auto m = r.find("GET", "/api/submissions/abc123");
  ASSERT_EQ(id_of(m), 1);
  EXPECT_EQ(m.pattern, "/api/submissions/{session_id}");
  ASSERT_EQ(m.params.values.size(), 1u);
  EXPECT_EQ(m.params.values[0].first, "session_id");
  EXPECT_EQ(m.params.values[0].second, "abc123");
  EXPECT_EQ(param(m, "session_id"), "abc123");
  EXPECT_EQ(param(m, "other"), "");  // unknown names give an empty view
}

TEST(router, captures_several_parameters) {
  router r;
  r.add("GET", "/a/{x}/b/{y}", tagged{1});
  auto m = r.find("GET", "/a/1/b/two");
  ASSERT_EQ(id_of(m), 1);
  ASSERT_EQ(m.params.values.size(), 2u);
  EXPECT_EQ(param(m, "x"), "1");
  EXPECT_EQ(param(m, "y"), "two");
  EXPECT_EQ(r.find("GET", "/a/1/c/two").found, nullptr);
  EXPECT_EQ(r.find("GET", "/a/1/b").found, nullptr);
  EXPECT_EQ(r.find("GET", "/a/1/b/two/three").found, nullptr);
}

TEST(router, param_is_one_segment_only) {
  router r;
  r.add("GET", "/s/{id}", tagged{1});
  EXPECT_EQ(r.find("GET", "/s/a/b").found, nullptr);
  EXPECT_EQ(r.find("GET", "/s").found, nullptr);
  // Percent-encoding and dots are passed through verbatim, never decoded.
  auto m = r.find("GET", "/s/a%2Fb");
  ASSERT_EQ(id_of(m), 1);
  EXPECT_EQ(param(m, "id"), "a%2Fb");
  auto dots = r.find("GET", "/s/..");
  ASSERT_EQ(id_of(dots), 1);
  EXPECT_EQ(param(dots, "id"), "..");
}

TEST(router, params_and_pattern_are_views_not_copies) {
  router r;
  r.add("GET", "/api/stream/{session_id}", tagged{1});
  r.add("GET", "/{*path}", tagged{2});
  const std::string path = "/api/stream/a-session-id-longer-than-sso";
  auto m = r.find("GET", path);
  ASSERT_EQ(id_of(m), 1);
  EXPECT_EQ(m.params.get("session_id").data(), path.data() + 12);
  EXPECT_EQ(r.find("GET", path).pattern.data(), m.pattern.data());  // the router's own string
  const std::string deep = "/assets/img/x.png";
  auto rest = r.find("GET", deep);
  ASSERT_EQ(id_of(rest), 2);
  EXPECT_EQ(rest.params.get("path"), "assets/img/x.png");
  EXPECT_EQ(rest.params.get("path").data(), deep.data() + 1);
}

TEST(router, empty_segment_never_fills_a_param) {
  router r;
  r.add("GET", "/s/{id}", tagged{1});
  r.add("GET", "/a/{x}/b", tagged{2});
  EXPECT_EQ(r.find("GET", "/s/").found, nullptr);
  EXPECT_EQ(r.find("GET", "/a//b").found, nullptr);
  EXPECT_EQ(r.find("GET", "/s/").allow, "");
}

TEST(router, trailing_slash_is_a_different_path) {
  router r;
  r.add("GET", "/healthz", tagged{1});
  r.add("GET", "/dir/", tagged{2});
  EXPECT_EQ(r.find("GET", "/healthz/").found, nullptr);
  EXPECT_EQ(r.find("GET", "/healthz/").allow, "");
  EXPECT_EQ(id_of(r.find("GET", "/dir/")), 2);
  EXPECT_EQ(r.find("GET", "/dir").found, nullptr);
}

TEST(router, empty_segments_are_not_collapsed) {
  router r;
  r.add("GET", "/api/info", tagged{1});
  EXPECT_EQ(r.find("GET", "//api/info").found, nullptr);
  EXPECT_EQ(r.find("GET", "/api//info").found, nullptr);
}

TEST(router, path_without_leading_slash_matches_nothing) {
  router r;
  r.add("GET", "/healthz", tagged{1});
  r.add("GET", "/{*rest}", tagged{2});
  for (std::string_view path : {"", "healthz", "*", "http://host/healthz"}) {
    auto m = r.find("GET", path);
    EXPECT_EQ(m.found, nullptr) << path;
    EXPECT_EQ(m.allow, "") << path;
  }
}

TEST(router, catch_all_captures_the_rest) {
  router r;
  r.add("GET", "/{*path}", tagged{9});
  auto m = r.find("GET", "/app.js");
  ASSERT_EQ(id_of(m), 9);
  EXPECT_EQ(m.pattern, "/{*path}");
  ASSERT_EQ(m.params.values.size(), 1u);
  EXPECT_EQ(m.params.values[0].first, "path");
  EXPECT_EQ(m.params.values[0].second, "app.js");

  EXPECT_EQ(param(r.find("GET", "/sub/dir/x.css"), "path"), "sub/dir/x.css");
  EXPECT_EQ(param(r.find("GET", "/sub/"), "path"), "sub/");
  EXPECT_EQ(param(r.find("GET", "/a//b"), "path"), "a//b");

  auto root = r.find("GET", "/");
  ASSERT_EQ(id_of(root), 9);
  EXPECT_EQ(param(root, "path"), "");
}

TEST(router, catch_all_after_literal_prefix) {
  router r;
  r.add("GET", "/static/{*file}", tagged{1});
  auto m = r.find("GET", "/static/css/site.css");
  ASSERT_EQ(id_of(m), 1);
  EXPECT_EQ(param(m, "file"), "css/site.css");
  EXPECT_EQ(param(r.find("GET", "/static/"), "file"), "");
  EXPECT_EQ(r.find("GET", "/other/x").found, nullptr);
}

TEST(router, registration_order_decides) {
  router r;
  r.add("GET", "/healthz", tagged{1});
  r.add("GET", "/s/{id}", tagged{2});
  r.add("GET", "/{*path}", tagged{3});
  EXPECT_EQ(id_of(r.find("GET", "/healthz")), 1);
  EXPECT_EQ(id_of(r.find("GET", "/s/abc")), 2);
  EXPECT_EQ(id_of(r.find("GET", "/s/abc/def")), 3);
  EXPECT_EQ(id_of(r.find("GET", "/index.html")), 3);
  EXPECT_EQ(r.find("GET", "/index.html").pattern, "/{*path}");

  router first_wins;
  first_wins.add("GET", "/api/{id}", tagged{1});
  first_wins.add("GET", "/api/new", tagged{2});
  EXPECT_EQ(id_of(first_wins.find("GET", "/api/new")), 1);
}

TEST(router, an_unknown_path_is_not_found) {
  router r;
  r.add("GET", "/healthz", tagged{1});
  r.add("POST", "/api/submissions", tagged{2});
  auto m = r.find("GET", "/nope");
  EXPECT_EQ(m.found, nullptr);
  EXPECT_EQ(m.allow, "");
  EXPECT_EQ(m.pattern, "");
  EXPECT_TRUE(m.params.values.empty());
  EXPECT_EQ(r.find("DELETE", "/nope").allow, "");
}

TEST(router, empty_router_finds_nothing) {
  router r;
  auto m = r.find("GET", "/");
  EXPECT_EQ(m.found, nullptr);
  EXPECT_EQ(m.allow, "");
}

TEST(router, method_not_allowed_lists_methods) {
  router r;
  r.add("POST", "/api/submissions", tagged{1});
  auto m = r.find("GET", "/api/submissions");
  EXPECT_EQ(m.found, nullptr);
  EXPECT_EQ(m.allow, "POST");
  EXPECT_EQ(m.pattern, "");
}

TEST(router, method_not_allowed_for_get_route_includes_head) {
  router r;
  r.add("GET", "/healthz", tagged{1});
  auto m = r.find("POST", "/healthz");
  EXPECT_EQ(m.found, nullptr);
  EXPECT_EQ(m.allow, "GET, HEAD");
  EXPECT_EQ(r.find("DELETE", "/healthz").allow, "GET, HEAD");
}

TEST(router, method_not_allowed_lists_every_method_once) {
  router r;
  r.add("GET", "/api/x/{id}", tagged{1});
  r.add("PUT", "/api/x/{id}", tagged{2});
  r.add("DELETE", "/api/x/{id}", tagged{3});
  r.add("PUT", "/api/x/{other}", tagged{4});  // same method again: listed once
  auto m = r.find("PATCH", "/api/x/7");
  EXPECT_EQ(m.found, nullptr);
  EXPECT_EQ(m.allow, "GET, HEAD, PUT, DELETE");
  EXPECT_TRUE(m.params.values.empty());
}

TEST(router, method_chosen_among_routes_of_one_path) {
  router r;
  r.add("GET", "/api/x", tagged{1});
  r.add("POST", "/api/x", tagged{2});
  EXPECT_EQ(id_of(r.find("GET", "/api/x")), 1);
  EXPECT_EQ(id_of(r.find("POST", "/api/x")), 2);
  EXPECT_EQ(r.find("PUT", "/api/x").allow, "GET, HEAD, POST");
}

TEST(router, head_falls_back_to_get) {
  router r;
  r.add("GET", "/api/stream/{session_id}", tagged{1});
  auto m = r.find("HEAD", "/api/stream/abc");
  ASSERT_EQ(id_of(m), 1);
  EXPECT_EQ(m.pattern, "/api/stream/{session_id}");
  EXPECT_EQ(param(m, "session_id"), "abc");
  EXPECT_EQ(m.allow, "");
}

TEST(router, head_route_preferred_over_get) {
  router r;
  r.add("GET", "/x", tagged{1});
  r.add("HEAD", "/x", tagged{2});
  EXPECT_EQ(id_of(r.find("HEAD", "/x")), 2);
  EXPECT_EQ(id_of(r.find("GET", "/x")), 1);
}

TEST(router, head_on_post_only_path_is_not_allowed) {
  router r;
  r.add("POST", "/api/submissions", tagged{1});
  auto m = r.find("HEAD", "/api/submissions");
  EXPECT_EQ(m.found, nullptr);
  EXPECT_EQ(m.allow, "POST");
}

TEST(router, head_fallback_with_mixed_routes_clears_allow) {
  router r;
  r.add("POST", "/api/x", tagged{1});
  r.add("GET", "/api/x", tagged{2});
  auto m = r.find("HEAD", "/api/x");
  ASSERT_EQ(id_of(m), 2);
  EXPECT_EQ(m.allow, "");
  EXPECT_EQ(m.pattern, "/api/x");
}

TEST(router, catch_all_get_does_not_turn_other_methods_into405) {
  router r;
  r.add("POST", "/api/submissions", tagged{1});
  r.add("GET", "/api/submissions/{session_id}", tagged{2});
  r.add("GET", "/{*path}", tagged{3});

  // An unknown path with another method: 404, not "405 Allow: GET, HEAD".
  auto m = r.find("POST", "/anything/else");
  EXPECT_EQ(m.found, nullptr);
  EXPECT_EQ(m.allow, "");
  EXPECT_EQ(r.find("DELETE", "/").allow, "");
  EXPECT_EQ(r.find("PUT", "/app.js").allow, "");

  // A known path still reports its own methods, without the catch-all's GET.
  auto known = r.find("DELETE", "/api/submissions");
  EXPECT_EQ(known.found, nullptr);
  EXPECT_EQ(known.allow, "POST");
  EXPECT_EQ(r.find("POST", "/api/submissions/abc").allow, "GET, HEAD");

  // HEAD on an unknown path uses the catch-all GET.
  auto head = r.find("HEAD", "/app.js");
  EXPECT_EQ(id_of(head), 3);
  EXPECT_EQ(param(head, "path"), "app.js");
  EXPECT_EQ(head.pattern, "/{*path}");
  EXPECT_EQ(head.allow, "");
}

TEST(router, known_path_answers405_instead_of_falling_to_catch_all) {
  router r;
  r.add("POST", "/api/submissions", tagged{1});
  r.add("GET", "/{*path}", tagged{3});
  auto get = r.find("GET", "/api/submissions");
  EXPECT_EQ(get.found, nullptr);
  EXPECT_EQ(get.allow, "POST");
  EXPECT_EQ(get.pattern, "");
  auto head = r.find("HEAD", "/api/submissions");
  EXPECT_EQ(head.found, nullptr);
  EXPECT_EQ(head.allow, "POST");
  // One segment more is an unknown path again, so the catch-all serves it.
  auto deeper = r.find("GET", "/api/submissions/x/y");
  EXPECT_EQ(id_of(deeper), 3);
  EXPECT_EQ(param(deeper, "path"), "api/submissions/x/y");
}

TEST(router, exact_route_beats_earlier_catch_all) {
  router r;
  r.add("GET", "/{*path}", tagged{1});
  r.add("GET", "/healthz", tagged{2});
  r.add("GET", "/s/{id}", tagged{3});
  EXPECT_EQ(id_of(r.find("GET", "/healthz")), 2);
  EXPECT_EQ(r.find("GET", "/healthz").pattern, "/healthz");
  EXPECT_EQ(id_of(r.find("HEAD", "/healthz")), 2);
  EXPECT_EQ(id_of(r.find("GET", "/s/abc")), 3);
  EXPECT_EQ(param(r.find("GET", "/s/abc"), "id"), "abc");
  EXPECT_EQ(id_of(r.find("GET", "/other")), 1);
  EXPECT_EQ(r.find("POST", "/healthz").allow, "GET, HEAD");
}

TEST(router, catch_all_only_answers_its_own_method) {
  router r;
  r.add("POST", "/upload/{*rest}", tagged{1});
  auto post = r.find("POST", "/upload/a/b");
  ASSERT_EQ(id_of(post), 1);
  EXPECT_EQ(param(post, "rest"), "a/b");
  auto get = r.find("GET", "/upload/a/b");
  EXPECT_EQ(get.found, nullptr);
  EXPECT_EQ(get.allow, "");  // catch-alls never produce 405
  EXPECT_EQ(r.find("HEAD", "/upload/a").found, nullptr);
}

TEST(router, first_matching_catch_all_wins) {
  router r;
  r.add("GET", "/static/{*file}", tagged{1});
  r.add("GET", "/{*path}", tagged{2});
  EXPECT_EQ(id_of(r.find("GET", "/static/a.css")), 1);
  EXPECT_EQ(id_of(r.find("GET", "/a.css")), 2);
  EXPECT_EQ(param(r.find("GET", "/a.css"), "path"), "a.css");
}

TEST(router, params_come_from_the_chosen_route) {
  router r;
  r.add("POST", "/v/{a}", tagged{1});
  r.add("GET", "/w/{b}/x", tagged{2});
  r.add("GET", "/{*rest}", tagged{3});
  auto m = r.find("GET", "/w/zz");
  ASSERT_EQ(id_of(m), 3);
  ASSERT_EQ(m.params.values.size(), 1u);
  EXPECT_EQ(m.params.values[0].first, "rest");
  EXPECT_EQ(m.params.values[0].second, "w/zz");
  EXPECT_EQ(param(m, "b"), "");
  auto exact = r.find("HEAD", "/w/q/x");
  ASSERT_EQ(id_of(exact), 2);
  ASSERT_EQ(exact.params.values.size(), 1u);
  EXPECT_EQ(param(exact, "b"), "q");
}

TEST(router, pattern_label_is_the_route_not_the_path) {
  router r;
  r.add("GET", "/s/{session_id}", tagged{1});
  EXPECT_EQ(r.find("GET", "/s/one").pattern, "/s/{session_id}");
  EXPECT_EQ(r.find("GET", "/s/two").pattern, "/s/{session_id}");
  EXPECT_EQ(r.find("HEAD", "/s/three").pattern, "/s/{session_id}");
  EXPECT_EQ(r.find("GET", "/t/one").pattern, "");
}

TEST(router, query_is_not_stripped_by_the_router) {
  // The server passes the path without the query; a '?' reaching the router is part of a segment.
  router r;
  r.add("GET", "/healthz", tagged{1});
  EXPECT_EQ(r.find("GET", "/healthz?x=1").found, nullptr);
}

// BUG: with a HEAD route registered before the GET route of the same path, Allow lists HEAD twice.
TEST(router, allow_lists_head_once_when_head_route_comes_first) {
  router r;
  r.add("HEAD", "/x", tagged{1});
  r.add("GET", "/x", tagged{2});
  const std::string allow = r.find("POST", "/x").allow;
  EXPECT_NE(allow.find("GET"), std::string::npos) << allow;
  const auto head = allow.find("HEAD");
  ASSERT_NE(head, std::string::npos) << allow;
  EXPECT_EQ(allow.find("HEAD", head + 1), std::string::npos) << allow;  // currently "HEAD, GET, HEAD"
}

// BUG: "GET routes also answer HEAD unless a HEAD route is given" does not hold for catch-alls: a GET
// catch-all registered before a HEAD catch-all takes HEAD requests.
TEST(router, head_catch_all_preferred_over_get_catch_all) {
  router r;
  r.add("GET", "/{*path}", tagged{1});
  r.add("HEAD", "/{*path}", tagged{2});
  EXPECT_EQ(id_of(r.find("HEAD", "/app.js")), 2);
}

}  // namespace
}  // namespace serenade::http
