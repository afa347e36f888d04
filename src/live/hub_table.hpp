#pragma once
// The hubs of songs being captured, one per session: whoever asks first (the lifecycle when a song becomes
// stream-ready, or a listener) starts it; everyone else gets the same hub. Finished hubs leave the table and
// live on only while their listeners hold them.
#include "live/hub.hpp"

#include <memory>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace serenade::live {

class hub_table {
 public:
  // Captures run in `background`, so that shutdown cancels them.
  hub_table(boost::asio::any_io_executor executor, sonauto::client& client, hub_options options,
            core::task_group& background);

  // The session's capturing hub, started if none runs. nullptr when the capture cannot start (logged).
  std::shared_ptr<hub> ensure(const std::string& session_id, const std::string& task_id);
  // How long until a new capture of this task may be tried, when its last one was abandoned less than
  // hub_options::failed_capture_pause ago; nullopt otherwise.
  std::optional<std::chrono::seconds> failed_lately(const std::string& session_id, const std::string& task_id);
  hub_counters& counters() { return counters_; }
  // Its maker deleted the song: its hub (if one captures here) cuts its listeners and stops (hub::take_back).
  void take_back(const std::string& session_id);
  // Whether a hub of the session captures or relays here.
  bool holds(const std::string& session_id);
  // Lets go of every hub once their captures have ended (shutdown): their files close with the last holder.
  void release_all();

 private:
  boost::asio::any_io_executor executor_;
  sonauto::client& client_;
  hub_options options_;
  core::task_group& background_;
  hub_counters counters_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<hub>> capturing_;
  struct failed_capture {
    std::string task_id;
    std::chrono::steady_clock::time_point pause_ends;
  };
  std::unordered_map<std::string, failed_capture> failed_;  // sessions whose capture was abandoned lately

  // Drops hubs whose capture ended (remembering the abandoned ones) and failures whose pause is over.
  void sweep_locked(std::chrono::steady_clock::time_point now);
};

}  // namespace serenade::live
