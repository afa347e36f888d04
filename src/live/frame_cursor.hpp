#pragma once
// Where MP3 frames begin and end in a stream that arrives in pieces of any size. The hub shows listeners whole
// frames only, so that a reconnect whose replay is another encode of the song can continue at a frame boundary:
// the new stream's frame N follows the capture's frame N - 1, and no listener ever holds half of a frame that the
// other encode would not complete. Pure, so it is tested piece by piece.
//
// The stream may start with an ID3v2 tag; after that every byte must belong to MPEG audio frames of one version
// and sample rate. Anything else makes the cursor lost(): frame boundaries are unknown from there on.
#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace serenade::live {

class frame_cursor {
 public:
  // Given the index of a frame whose header has just been read (0 for the first): true to stop at its start.
  using stop_rule = std::function<bool(std::uint64_t index)>;

  // Takes the next bytes of the stream and returns how many it took: all of them, unless `stop` accepts a frame
  // whose start lies in them or was held from earlier pieces. Then the cursor stays at that frame's start, and
  // held() is its first bytes already taken from earlier pieces (the caller's splice starts with them).
  std::size_t feed(std::span<const char> bytes, const stop_rule& stop = {});

  // Bytes from the stream's start to the end of the last whole frame (or of the ID3v2 tag before the first frame).
  std::uint64_t whole_end() const { return whole_end_; }
  // Whole frames so far.
  std::uint64_t whole_frames() const { return whole_frames_; }
  std::uint64_t consumed() const { return offset_; }
  bool lost() const { return lost_; }
  std::string held() const { return std::string(head_.data(), held_); }

  // Forgets what came after whole_end(): the stream is cut back to its last whole frame.
  void cut_to_whole_end();
  // Frames are not followed from here on (a stream whose beginning was not seen).
  void give_up() { lost_ = true; }

 private:
  bool read_head(std::span<const char> bytes, std::size_t& i);
  void lose() { give_up(); }

  std::uint64_t offset_ = 0;         // bytes taken
  std::uint64_t item_start_ = 0;     // where the frame (or tag) being read starts
  std::uint64_t item_end_ = 0;       // where it ends, once its head was read
  bool in_body_ = false;             // the item's head was read: its remaining bytes are being skipped
  bool item_is_frame_ = false;
  std::uint64_t frames_started_ = 0;
  std::uint64_t whole_frames_ = 0;
  std::uint64_t whole_end_ = 0;
  std::array<char, 10> head_{};      // the first bytes of the item being read (an ID3v2 head is the longest)
  std::size_t head_len_ = 0;
  std::size_t held_ = 0;             // after a stop: head bytes taken before the piece that stopped
  int version_ = 0;                  // of the first frame: every frame must match it
  int sample_rate_ = 0;
  bool lost_ = false;
};

}  // namespace serenade::live
