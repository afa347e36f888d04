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

 private:
  struct file {
    std::string content;
    std::string content_type;
    std::string etag;
  };
  std::map<std::string, file, std::less<>> files_;
};

std::string_view content_type_for(std::string_view path);

}  // namespace serenade::http
