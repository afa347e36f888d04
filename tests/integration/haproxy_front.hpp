#pragma once
// The shipped deploy/haproxy.cfg run by the real HAProxy 2.6 in front of three instance addresses.
#include "harness.hpp"

#include <cstdint>
#include <string>

namespace serenade::testing {

inline std::string loopback_address(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

// The status of /readyz through the front; 0 while nothing answers.
inline unsigned readiness_through(std::uint16_t front) {
  try {
    return request(front, "GET", "/readyz").status;
  } catch (const std::exception&) {
    return 0;
  }
}

struct listened {
  std::string body;
  int connections = 0;
};

// A player through the front: when its stream is cut (its instance stopped), it connects again and plays the song
// from the start, as the web player does when it cannot resume.
inline listened play_through(std::uint16_t front, const std::string& session) {
  listened out;
  for (out.connections = 1; out.connections <= 20; ++out.connections) {
    stream_reader reader(front, "/api/stream/" + session, 60s);
    if (reader.status() != 200) continue;
    out.body = reader.read_to_end();
    if (reader.ended_cleanly() || !reader.cut()) return out;
  }
  return out;
}

// A form posted through the front; the new song's session id, once the song can be streamed.
inline std::string song_through(std::uint16_t front, const std::string& marker) {
  const auto reply = request(front, "POST", "/api/submissions", {{"Content-Type", "application/json"}},
                             form_json("Ana", "Ben", story_with(marker), "acoustic ballad"));
  if (reply.status != 201) throw std::runtime_error("a form through the front answered " + reply.body);
  std::string session(reply.json().at("session_id").as_string());
  wait_for_state_at(front, session, is_stream_ready);
  return session;
}

class haproxy_front {
 public:
  haproxy_front(std::uint16_t front, std::uint16_t first, std::uint16_t second, std::uint16_t third)
      : dir_(make_temp_dir()),
        proxy_({"/usr/sbin/haproxy", "-db", "-f", SERENADE_DEPLOY_DIR "/haproxy.cfg"},
               {{"SERENADE_FRONT", loopback_address(front)},
                {"SERENADE_INSTANCE_1", loopback_address(first)},
                {"SERENADE_INSTANCE_2", loopback_address(second)},
                {"SERENADE_INSTANCE_3", loopback_address(third)}},
               dir_ + "/haproxy.log") {}
  const process& proxy() const { return proxy_; }
  // Returns once requests through the front (on port `front`) reach a ready instance.
  void wait_until_serving(std::uint16_t front) const {
    wait_until([&] { return readiness_through(front) == 200; },
               [&] { return "no answer through HAProxy; its log: " + proxy_.log(); });
  }
  // How many times HAProxy's checks have found `server` (instance1, instance2, instance3) back up so far (it
  // starts them up without a line).
  std::size_t times_up(const std::string& server) const {
    const auto log = proxy_.log();
    const auto line = server + " is UP";
    std::size_t count = 0;
    for (auto at = log.find(line); at != std::string::npos; at = log.find(line, at + 1)) ++count;
    return count;
  }
  // Whether HAProxy's checks have found `server` down.
  bool seen_down(const std::string& server) const { return proxy_.log().find(server + " is DOWN") != std::string::npos; }

 private:
  std::string dir_;
  process proxy_;
};

}  // namespace serenade::testing
