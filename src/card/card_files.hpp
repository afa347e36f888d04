#pragma once
// Share cards kept on disk, so a song's card is drawn once however many previews fetch it:
// <archive>/cards/<session id>.<variant>.png, written under a temporary name and renamed into place. Only songs
// that exist get a file (the caller looks the song up first); the card that names nobody is kept in memory.
#include "card/preview.hpp"

#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

namespace serenade::card {

// What a song's card shows, as a name part: the design version and the song's length once known. A new
// variant is a new file and a new URL, so a preview fetched before the song finished is not kept for good.
std::string card_variant(const song_preview& song);

class card_files {
 public:
  explicit card_files(const std::string& archive_dir);

  // The PNG of the card of `session_id`, read from its file or drawn and kept there. A card that cannot be kept
  // (disk full) is still returned. Blocking: call it on a blocking pool. Throws std::invalid_argument for an id
  // that is not a session id.
  std::string song_card(std::string_view session_id, const song_preview& song);
  // The card that names nobody, drawn once.
  std::string nameless_card();
  // Removes every kept card of `session_id` (a song taken back). Blocking, like song_card.
  void forget(std::string_view session_id);

  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path folder_;
  std::mutex nameless_mutex_;
  std::string nameless_;
};

}  // namespace serenade::card
