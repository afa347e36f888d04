#include "store/columns.hpp"

#include "store/submission_store.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <limits>

namespace serenade::store {

std::string tags_to_json(const std::vector<std::string>& tags) {
  boost::json::array array;
  array.reserve(tags.size());
  for (const auto& tag : tags) array.emplace_back(boost::json::string_view(tag.data(), tag.size()));
  return boost::json::serialize(array);
}

std::vector<std::string> tags_from_json(std::string_view text, std::string_view session_id) {
  auto not_tags = [&] {
    return store_error(fmt::format("submission {}: stored tags are not a JSON array of strings", session_id));
  };
  boost::json::parse_options options;
  options.allow_invalid_utf8 = true;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec, {}, options);
  if (ec || !value.is_array()) throw not_tags();
  std::vector<std::string> tags;
  tags.reserve(value.get_array().size());
  for (const auto& tag : value.get_array()) {
    if (!tag.is_string()) throw not_tags();
    tags.emplace_back(tag.get_string().data(), tag.get_string().size());
  }
  return tags;
}

std::int64_t archive_size(const archived_song& song, std::string_view operation) {
  if (song.size > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    throw store_error(fmt::format("{}: archive size {} is too large", operation, song.size));
  }
  return static_cast<std::int64_t>(song.size);
}

}  // namespace serenade::store
