#pragma once
// How values that are not plain text or integers are kept in a database column, the same in every store.
#include "store/submission.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace serenade::store {

// The tags column holds a JSON array of strings. Bytes pass through unchanged, like every other text column, so a
// tag that is not valid UTF-8 still round-trips where the database allows it.
std::string tags_to_json(const std::vector<std::string>& tags);
// Throws store_error naming the session when the stored text is not such an array.
std::vector<std::string> tags_from_json(std::string_view text, std::string_view session_id);

// Database integers are signed 64-bit: a size beyond that cannot be stored faithfully (store_error).
std::int64_t archive_size(const archived_song& song, std::string_view operation);

}  // namespace serenade::store
