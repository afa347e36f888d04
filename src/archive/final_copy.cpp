#include "archive/final_copy.hpp"

#include "archive/paths.hpp"
#include "archive/song_check.hpp"

namespace serenade::archive {

final_copy::final_copy(const std::string& archive_dir, const std::string& session_id)
    : file_(archive_dir, session_id), final_path_(archive::final_path(archive_dir, session_id)) {}

std::error_code final_copy::write(std::span<const char> piece) { return file_.write(piece); }

std::string final_copy::make_durable_and_check() {
  if (const auto error = file_.make_durable()) return "fsync: " + error.message();
  const auto check = check_song_file(file_.temporary_path());
  if (!check.facts) return "not a complete MP3: " + check.problem;
  return {};
}

std::error_code final_copy::put_in_place() { return file_.put_in_place(final_path_); }

}  // namespace serenade::archive
