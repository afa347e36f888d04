#pragma once
// What /metrics shows, in Prometheus text format. Counters live where the work happens (the hub table's
// hub_counters, the finaliser); this file only adds the per-route request counts and renders everything.
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace serenade::http {
struct connection_counters;
}
namespace serenade::live {
struct hub_counters;
}
namespace serenade::lifecycle {
struct finaliser_counters;
struct lifecycle_counters;
}

namespace serenade::api {

struct webhook_counters;

struct service_metrics {
  std::atomic<std::uint64_t> listeners_final{0};
  std::atomic<std::uint64_t> final_bytes_relayed{0};
  std::atomic<std::uint64_t> archive_unavailable{0};
  std::atomic<std::uint64_t> memory_releases{0};

  void count_request(std::string_view route, unsigned status);
  struct sources {
    const live::hub_counters& hubs;
    const lifecycle::finaliser_counters& finals;
    const lifecycle::lifecycle_counters& lifecycle;
    const webhook_counters& webhooks;
    const http::connection_counters* connections = nullptr;
  };
  std::string render(const sources& from) const;

 private:
  // Looked up with a string_view key, so counting a request allocates nothing once its route is known.
  struct route_status_less {
    using is_transparent = void;
    template <class L, class R>
    bool operator()(const L& l, const R& r) const {
      return std::pair<std::string_view, unsigned>(l.first, l.second) <
             std::pair<std::string_view, unsigned>(r.first, r.second);
    }
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, unsigned>, std::uint64_t, route_status_less> requests_;
};

}  // namespace serenade::api
