#pragma once
// The web front end: a folder of small files read into memory once at start, so serving a page never
// touches the disk on an I/O thread. "/" is index.html; unknown paths are 404.
#include "http/message.hpp"

#include <map>
#include <optional>
#include <string>

namespace serenade::http {

class static_site {
 public:
  // Throws std::runtime_error when the folder cannot be read.
  explicit static_site(const std::string& folder);

  // path is the request path ("/", "/app.js"); If-None-Match is honoured with 304.
  std::optional<response> find(std::string_view path, std::optional<std::string_view> if_none_match) const;
  std::size_t size() const { return files_.size(); }
  // The bytes of one file ("/index.html"), for pages completed per request; nullopt when there is none.
  std::optional<std::string_view> content(std::string_view path) const;

 private:
  struct file {
    std::string content;
    std::string content_type;
    std::string etag;
  };
  std::map<std::string, file, std::less<>> files_;
};

std::string_view content_type_for(std::string_view path);

// The headers every HTML page is served with. The policy allows only the site's own scripts, styles, fetches,
// event streams and audio (plus the inline data: icon), so an injected script or style does not run; no site may
// frame the pages; and no Referer leaves them, since a share link's URL is the key to its song.
const header_list& html_page_headers();

// A strong ETag naming these bytes.
std::string content_etag(std::string_view content);

// An HTML page made for this request, answered like the site's own (page headers, ETag, no-cache, 304).
response html_page(std::string body, std::optional<std::string_view> if_none_match);

}  // namespace serenade::http
