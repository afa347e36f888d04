#pragma once
// The CDN copy of a finished song, GET /cdn/{task_id}.mp3: missing until SUCCESS and after delete_cdn_after,
// or refused, corrupted or truncated on purpose. Served on the simulator's port and on a bare listener of its
// own: the HTTP layer frames every body it sends, while a truncated download must announce the whole file's
// Content-Length and close the connection after half. song_paths of a task with truncate_cdn point there.
#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace serenade::http {
class router;
}

namespace serenade::sim {

struct context;
namespace detail {
struct bare_cdn_state;
}

// The answer for a CDN file, whichever listener serves it.
struct cdn_answer {
  unsigned status = 404;
  std::string detail = "Not found";
  std::string body;       // the file, when status is 200
  bool truncate = false;  // announce the whole file, send half, close
};

// Counts the request and decides the answer for `file` ("{task_id}.mp3").
cdn_answer cdn_lookup(context& ctx, std::string_view file);

void add_cdn_route(http::router& routes, context& ctx);

// A bare HTTP/1.1 listener for CDN files, one request per connection; any CDN file can be fetched here, with
// the same faults as on the main port.
class bare_cdn_listener {
 public:
  using lookup = std::function<cdn_answer(std::string_view file)>;

  bare_cdn_listener(boost::asio::any_io_executor executor, lookup find);
  ~bare_cdn_listener();
  bare_cdn_listener(const bare_cdn_listener&) = delete;
  bare_cdn_listener& operator=(const bare_cdn_listener&) = delete;

  // Binds a free port on `host` and accepts; returns the port.
  std::uint16_t start(const std::string& host);
  void stop();

 private:
  std::shared_ptr<detail::bare_cdn_state> state_;
};

// The same bytes with the header of a frame in the middle flipped: same length, but a walk of consecutive frames
// stops there.
void corrupt_middle(std::string& file);

}  // namespace serenade::sim
