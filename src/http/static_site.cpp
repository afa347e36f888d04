#include "http/static_site.hpp"

#include "core/hex.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace serenade::http {

namespace fs = std::filesystem;

std::string_view content_type_for(std::string_view path) {
  const auto ends = [&](std::string_view suffix) { return path.ends_with(suffix); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".json") || ends(".webmanifest")) return "application/json";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

const header_list& html_page_headers() {
  static const header_list headers{
      {"Content-Security-Policy",
       "default-src 'self'; img-src 'self' data:; media-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"},
  };
  return headers;
}

std::string content_etag(std::string_view content) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_Digest(content.data(), content.size(), digest, &length, EVP_sha256(), nullptr);
  // 64 bits of the content's SHA-256 tell versions of a small page apart.
  return "\"" + core::to_hex({digest, std::min(length, 8u)}) + "\"";
}

response html_page(std::string body, std::optional<std::string_view> if_none_match) {
  response r;
  const auto etag = content_etag(body);
  r.set("ETag", etag);
  r.set("Cache-Control", "no-cache");
  for (const auto& [name, value] : html_page_headers()) r.set(name, value);
  if (if_none_match && *if_none_match == etag) {
    r.status = 304;
    return r;
  }
  r.set("Content-Type", "text/html; charset=utf-8");
  r.body = std::move(body);
  return r;
}

std::optional<std::string_view> static_site::content(std::string_view path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  return it->second.content;
}

static_site::static_site(const std::string& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw std::runtime_error("web folder not found: " + folder);
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in.good() && !in.eof()) throw std::runtime_error("cannot read " + entry.path().string());
    auto relative = "/" + fs::relative(entry.path(), folder).generic_string();
    file f{content.str(), std::string(content_type_for(relative)), {}};
    f.etag = content_etag(f.content);
    files_.emplace(std::move(relative), std::move(f));
  }
}

std::optional<response> static_site::find(std::string_view path, std::optional<std::string_view> if_none_match) const {
  if (path == "/") path = "/index.html";
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  response r;
  r.set("ETag", it->second.etag);
  r.set("Cache-Control", "no-cache");
  if (it->second.content_type.starts_with("text/html")) {
    for (const auto& [name, value] : html_page_headers()) r.set(name, value);
  }
  if (if_none_match && *if_none_match == it->second.etag) {
    r.status = 304;
    return r;
  }
  r.set("Content-Type", it->second.content_type);
  r.body = it->second.content;
  return r;
}

}  // namespace serenade::http
