#pragma once
// Reading Server-Sent Events in tests: events split from a stream_reader's body as its bytes arrive.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace serenade::testing {

namespace sse_detail {
namespace json = boost::json;
using steady = std::chrono::steady_clock;
}  // namespace sse_detail
using namespace sse_detail;

struct sse_event {
  std::optional<std::uint64_t> id;
  std::string event;
  std::string data;
  steady::time_point arrived;
  json::object state() const { return json::parse(data).as_object(); }
  std::string status() const { return std::string(state().at("status").as_string()); }
  std::string phase() const { return std::string(state().at("phase").as_string()); }
};

// Splits the body into events as its bytes arrive. Comments and field-only blocks (retry) are noted, not returned.
class sse_reader {
 public:
  explicit sse_reader(stream_reader& stream) : stream_(stream) {}

  // The next event; nullopt once the body ends (or the socket times out) with no complete event left.
  std::optional<sse_event> next() {
    for (;;) {
      const auto& body = stream_.read_at_least(0);
      const auto end = body.find("\n\n", parsed_);
      if (end != std::string::npos) {
        const auto block = body.substr(parsed_, end - parsed_);
        parsed_ = end + 2;
        if (auto e = parse(block)) return e;
        continue;
      }
      const auto before = body.size();
      if (stream_.read_at_least(before + 1).size() == before) return std::nullopt;
    }
  }

  std::vector<sse_event> until_finished() {
    std::vector<sse_event> out;
    while (auto e = next()) {
      out.push_back(*e);
      const auto phase = e->phase();
      if (phase == "complete" || phase == "failed") break;
    }
    return out;
  }

  int retries_seen = 0;
  int comments_seen = 0;

 private:
  std::optional<sse_event> parse(const std::string& block) {
    sse_event e;
    e.arrived = steady::now();
    bool has_data = false;
    std::size_t start = 0;
    while (start < block.size()) {
      auto stop = block.find('\n', start);
      if (stop == std::string::npos) stop = block.size();
      const auto line = block.substr(start, stop - start);
      start = stop + 1;
      if (line.starts_with(":")) ++comments_seen;
      if (line == "retry: 3000") ++retries_seen;
      if (line.starts_with("id: ")) e.id = std::stoull(line.substr(4));
      if (line.starts_with("event: ")) e.event = line.substr(7);
      if (line.starts_with("data: ")) {
        EXPECT_FALSE(has_data) << "data must be a single line";
        e.data = line.substr(6);
        has_data = true;
      }
    }
    if (!has_data) return std::nullopt;
    return e;
  }

  stream_reader& stream_;
  std::size_t parsed_ = 0;
};

inline int rank(const std::string& status) {
  static const std::vector<std::string> order{
      "RECEIVED",   "PROMPT", "TASK_SENT", "GENERATE_TASK_STARTED", "BEGINNING_GENERATION",
      "GENERATING", "GENERATING_STREAMING_READY", "DECOMPRESSING", "SAVING", "SUCCESS"};
  if (status == "FAILURE") return static_cast<int>(order.size());
  return static_cast<int>(std::find(order.begin(), order.end(), status) - order.begin());
}

}  // namespace serenade::testing
