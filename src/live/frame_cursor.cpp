#include "live/frame_cursor.hpp"

#include "archive/mp3_frames.hpp"

#include <algorithm>

namespace serenade::live {

namespace {

constexpr std::size_t id3v2_head = 10;
constexpr std::size_t frame_header = 4;

std::uint8_t byte(const std::array<char, 10>& head, std::size_t i) { return static_cast<std::uint8_t>(head[i]); }

bool starts_id3v2(const std::array<char, 10>& head, std::size_t len) {
  return len >= 3 && head[0] == 'I' && head[1] == 'D' && head[2] == '3';
}

}  // namespace

// Gathers the item's first bytes into head_; true once enough of them are there to know what it is.
bool frame_cursor::read_head(std::span<const char> bytes, std::size_t& i) {
  for (;;) {
    const std::size_t need = head_len_ >= frame_header && starts_id3v2(head_, head_len_) ? id3v2_head : frame_header;
    if (head_len_ >= need) return true;
    if (i == bytes.size()) return false;
    head_[head_len_++] = bytes[i++];
    ++offset_;
  }
}

std::size_t frame_cursor::feed(std::span<const char> bytes, const stop_rule& stop) {
  held_ = 0;
  std::size_t i = 0;
  const auto piece_start = offset_;
  // An item may end with the piece's last byte, or with its head (an empty ID3v2 tag): it is whole at once.
  while (i < bytes.size() || (in_body_ && offset_ == item_end_)) {
    if (lost_) {
      offset_ += bytes.size() - i;
      return bytes.size();
    }
    if (in_body_) {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size() - i, item_end_ - offset_));
      i += take;
      offset_ += take;
      if (offset_ == item_end_) {
        in_body_ = false;
        head_len_ = 0;
        item_start_ = item_end_;
        whole_end_ = item_end_;
        if (item_is_frame_) ++whole_frames_;
      }
      continue;
    }
    if (!read_head(bytes, i)) break;
    if (starts_id3v2(head_, head_len_)) {
      if (item_start_ != 0) {  // a tag is only allowed before the first frame
        lose();
        continue;
      }
      std::uint64_t size = 0;
      for (std::size_t k = 6; k < 10; ++k) size = (size << 7) | (byte(head_, k) & 0x7F);
      const bool footer = (byte(head_, 5) & 0x10) != 0;
      item_end_ = item_start_ + id3v2_head + size + (footer ? 10 : 0);
      item_is_frame_ = false;
      in_body_ = true;
      continue;
    }
    const auto header = archive::parse_frame_header(
        {reinterpret_cast<const std::uint8_t*>(head_.data()), head_len_});
    if (!header || header->length <= frame_header ||
        (version_ != 0 && (header->version != version_ || header->sample_rate != sample_rate_))) {
      lose();
      continue;
    }
    version_ = header->version;
    sample_rate_ = header->sample_rate;
    if (stop && stop(frames_started_)) {
      // Stay at the frame's start: its head bytes are handed back, those of this piece as "not taken".
      const auto from_this_piece = offset_ - std::max(item_start_, piece_start);
      held_ = static_cast<std::size_t>(head_len_ - from_this_piece);
      offset_ = item_start_;
      head_len_ = 0;
      return i - static_cast<std::size_t>(from_this_piece);
    }
    ++frames_started_;
    item_end_ = item_start_ + header->length;
    item_is_frame_ = true;
    in_body_ = true;
  }
  return i;
}

void frame_cursor::cut_to_whole_end() {
  offset_ = whole_end_;
  item_start_ = whole_end_;
  in_body_ = false;
  head_len_ = 0;
  frames_started_ = whole_frames_;
}

}  // namespace serenade::live
