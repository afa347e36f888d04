#pragma once
// The hubs of songs being captured, one per session: whoever asks first (the lifecycle when a song becomes
// stream-ready, or a listener) starts it; everyone else gets the same hub. Finished hubs leave the table and
// live on only while their listeners hold them.
#include "live/hub.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace serenade::live {

class hub_table {
 public:
  hub_table(boost::asio::any_io_executor executor, sonauto::client& client, hub_options options);

  // The session's capturing hub, started if none runs. nullptr when the capture cannot start (logged).
  std::shared_ptr<hub> ensure(const std::string& session_id, const std::string& task_id);
  hub_counters& counters() { return counters_; }
  const hub_options& options() const { return options_; }

 private:
  boost::asio::any_io_executor executor_;
  sonauto::client& client_;
  hub_options options_;
  hub_counters counters_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<hub>> capturing_;
};

}  // namespace serenade::live
