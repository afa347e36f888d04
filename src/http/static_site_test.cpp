#include "http/static_site.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace serenade::http {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view index_html = "<!doctype html><title>Serenade</title>";
constexpr std::string_view app_js = "console.log(\"love\");";
constexpr std::string_view site_css = "body { color: red; }";

// The first 8 bytes of SHA-256 of each content, in hex (computed with sha256sum).
constexpr std::string_view index_etag = "\"15f99a2dd8896b56\"";
constexpr std::string_view app_etag = "\"d054f2efe1f149ce\"";
constexpr std::string_view css_etag = "\"5de625c36355cce7\"";
constexpr std::string_view empty_etag = "\"e3b0c44298fc1c14\"";

std::optional<std::string> header_of(const response& r, std::string_view name) {
  for (const auto& [key, value] : r.headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

void write_file(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  ASSERT_TRUE(out.good()) << path;
}

class static_site_files : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("serenade-static-site-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "sub");
    write_file(root_ / "index.html", index_html);
    write_file(root_ / "app.js", app_js);
    write_file(root_ / "sub" / "x.css", site_css);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  fs::path root_;
};

TEST_F(static_site_files, loads_every_file) {
  static_site site(root_.string());
  EXPECT_EQ(site.size(), 3u);
}

TEST_F(static_site_files, root_serves_index) {
  static_site site(root_.string());
  auto r = site.find("/", std::nullopt);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, index_html);
  EXPECT_EQ(header_of(*r, "Content-Type"), std::optional<std::string>("text/html; charset=utf-8"));
  EXPECT_EQ(header_of(*r, "ETag"), std::optional<std::string>(index_etag));
  EXPECT_EQ(header_of(*r, "Cache-Control"), std::optional<std::string>("no-cache"));
  EXPECT_EQ(r->headers.size(), 3u + html_page_headers().size());

  auto direct = site.find("/index.html", std::nullopt);
  ASSERT_TRUE(direct.has_value());
  EXPECT_EQ(direct->body, index_html);
  EXPECT_EQ(header_of(*direct, "ETag"), std::optional<std::string>(index_etag));
}

TEST_F(static_site_files, html_pages_carry_the_security_headers) {
  static_site site(root_.string());
  for (const auto& r : {site.find("/", std::nullopt), site.find("/index.html", std::nullopt),
                        site.find("/", index_etag)}) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(header_of(*r, "Content-Security-Policy"),
              std::optional<std::string>("default-src 'self'; img-src 'self' data:; media-src 'self'; "
                                         "object-src 'none'; base-uri 'none'; form-action 'self'; "
                                         "frame-ancestors 'none'"))
        << r->status;
    EXPECT_EQ(header_of(*r, "X-Frame-Options"), std::optional<std::string>("DENY"));
    EXPECT_EQ(header_of(*r, "Referrer-Policy"), std::optional<std::string>("no-referrer"));
    EXPECT_EQ(header_of(*r, "Permissions-Policy"),
              std::optional<std::string>("camera=(), microphone=(), geolocation=(), payment=(), usb=()"));
  }
}

TEST_F(static_site_files, scripts_and_styles_carry_no_page_policy) {
  static_site site(root_.string());
  for (const char* path : {"/app.js", "/sub/x.css"}) {
    auto r = site.find(path, std::nullopt);
    ASSERT_TRUE(r.has_value()) << path;
    EXPECT_EQ(header_of(*r, "Content-Security-Policy"), std::nullopt) << path;
    EXPECT_EQ(r->headers.size(), 3u) << path;
  }
}

TEST_F(static_site_files, are_served_with_their_content_type) {
  static_site site(root_.string());
  auto js = site.find("/app.js", std::nullopt);
  ASSERT_TRUE(js.has_value());
  EXPECT_EQ(js->body, app_js);
  EXPECT_EQ(header_of(*js, "Content-Type"), std::optional<std::string>("text/javascript; charset=utf-8"));

  auto css = site.find("/sub/x.css", std::nullopt);
  ASSERT_TRUE(css.has_value());
  EXPECT_EQ(css->body, site_css);
  EXPECT_EQ(header_of(*css, "Content-Type"), std::optional<std::string>("text/css; charset=utf-8"));
}

TEST_F(static_site_files, etag_is_quoted_hex_and_stable) {
  static_site site(root_.string());
  for (const char* path : {"/", "/app.js", "/sub/x.css"}) {
    auto r = site.find(path, std::nullopt);
    ASSERT_TRUE(r.has_value()) << path;
    auto etag = header_of(*r, "ETag");
    ASSERT_TRUE(etag.has_value()) << path;
    ASSERT_EQ(etag->size(), 18u) << *etag;
    EXPECT_EQ(etag->front(), '"');
    EXPECT_EQ(etag->back(), '"');
    EXPECT_EQ(etag->find_first_not_of("0123456789abcdef", 1), 17u) << *etag;
    // Same answer on a second request and from a second site over the same files.
    EXPECT_EQ(header_of(*site.find(path, std::nullopt), "ETag"), etag);
    static_site again(root_.string());
    EXPECT_EQ(header_of(*again.find(path, std::nullopt), "ETag"), etag);
  }
  EXPECT_EQ(header_of(*site.find("/app.js", std::nullopt), "ETag"), std::optional<std::string>(app_etag));
  EXPECT_EQ(header_of(*site.find("/sub/x.css", std::nullopt), "ETag"), std::optional<std::string>(css_etag));
}

TEST_F(static_site_files, etag_follows_content) {
  write_file(root_ / "app.js", "console.log(\"changed\");");
  static_site site(root_.string());
  auto etag = header_of(*site.find("/app.js", std::nullopt), "ETag");
  ASSERT_TRUE(etag.has_value());
  EXPECT_NE(*etag, app_etag);
}

TEST_F(static_site_files, empty_file_served) {
  write_file(root_ / "empty.txt", "");
  static_site site(root_.string());
  EXPECT_EQ(site.size(), 4u);
  auto r = site.find("/empty.txt", std::nullopt);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(header_of(*r, "ETag"), std::optional<std::string>(empty_etag));
  EXPECT_EQ(header_of(*r, "Content-Type"), std::optional<std::string>("text/plain; charset=utf-8"));
}

TEST_F(static_site_files, matching_if_none_match_gives304_without_body) {
  static_site site(root_.string());
  auto r = site.find("/app.js", app_etag);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 304u);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(header_of(*r, "ETag"), std::optional<std::string>(app_etag));
  EXPECT_EQ(header_of(*r, "Cache-Control"), std::optional<std::string>("no-cache"));
  EXPECT_EQ(header_of(*r, "Content-Type"), std::nullopt);

  auto root = site.find("/", index_etag);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->status, 304u);
  EXPECT_EQ(root->body, "");
}

TEST_F(static_site_files, stale_if_none_match_gives_full_response) {
  static_site site(root_.string());
  for (std::string_view stale : {std::string_view("\"0000000000000000\""), index_etag, std::string_view(""),
                                 std::string_view("d054f2efe1f149ce")}) {
    auto r = site.find("/app.js", stale);
    ASSERT_TRUE(r.has_value()) << stale;
    EXPECT_EQ(r->status, 200u) << stale;
    EXPECT_EQ(r->body, app_js) << stale;
  }
}

TEST_F(static_site_files, unknown_paths_are_nullopt) {
  static_site site(root_.string());
  for (std::string_view path : {"/missing.html", "/sub", "/sub/", "/sub/missing.css", "/APP.JS", "/app.js/",
                                "app.js", "", "/../app.js", "/sub/../app.js", "//app.js", "/x.css"}) {
    EXPECT_EQ(site.find(path, std::nullopt), std::nullopt) << path;
    EXPECT_EQ(site.find(path, app_etag), std::nullopt) << path;
  }
}

TEST_F(static_site_files, folder_without_index_has_no_root) {
  fs::remove(root_ / "index.html");
  static_site site(root_.string());
  EXPECT_EQ(site.size(), 2u);
  EXPECT_EQ(site.find("/", std::nullopt), std::nullopt);
}

TEST_F(static_site_files, trailing_slash_on_folder_name) {
  static_site site(root_.string() + "/");
  EXPECT_EQ(site.size(), 3u);
  auto r = site.find("/sub/x.css", std::nullopt);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, site_css);
}

TEST_F(static_site_files, files_are_read_once_at_start) {
  static_site site(root_.string());
  write_file(root_ / "app.js", "changed later");
  write_file(root_ / "late.js", "new");
  EXPECT_EQ(site.find("/app.js", std::nullopt)->body, app_js);
  EXPECT_EQ(site.find("/late.js", std::nullopt), std::nullopt);
}

TEST_F(static_site_files, missing_folder_throws) {
  EXPECT_THROW(static_site((root_ / "does-not-exist").string()), std::runtime_error);
  EXPECT_THROW(static_site(""), std::runtime_error);
}

TEST_F(static_site_files, file_instead_of_folder_throws) {
  EXPECT_THROW(static_site((root_ / "app.js").string()), std::runtime_error);
}

TEST_F(static_site_files, missing_folder_message_names_it) {
  const std::string missing = (root_ / "nowhere").string();
  try {
    static_site site(missing);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "web folder not found: " + missing);
  }
}

TEST(content_type_for, names_the_type_of_known_extensions) {
  EXPECT_EQ(content_type_for("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("/a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("/a.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("/a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("/a.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("/a.png"), "image/png");
  EXPECT_EQ(content_type_for("/favicon.ico"), "image/x-icon");
  EXPECT_EQ(content_type_for("/a.json"), "application/json");
  EXPECT_EQ(content_type_for("/site.webmanifest"), "application/json");
  EXPECT_EQ(content_type_for("/robots.txt"), "text/plain; charset=utf-8");
}

TEST(content_type_for, unknown_is_octet_stream) {
  EXPECT_EQ(content_type_for("/a.wasm"), "application/octet-stream");
  EXPECT_EQ(content_type_for("/README"), "application/octet-stream");
  EXPECT_EQ(content_type_for("/a.html.bak"), "application/octet-stream");
  EXPECT_EQ(content_type_for("/A.HTML"), "application/octet-stream");
  EXPECT_EQ(content_type_for(""), "application/octet-stream");
}

}  // namespace
}  // namespace serenade::http
