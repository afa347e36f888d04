#pragma once
// Incremental HTTP/1.1 response parser for the load generator: status, Content-Length, chunked bodies,
// Connection: close. It only counts body bytes; it never keeps them (the data lands in a scratch buffer).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace serenade::bench {

class http_response {
 public:
  enum class phase { head, body_length, body_chunked, body_until_close, done, error };

  void reset() {
    phase_ = phase::head;
    head_.clear();
    status_ = 0;
    remaining_ = 0;
    close_ = false;
    chunk_state_ = chunk_state::size;
    chunk_size_ = 0;
    saw_digit_ = false;
  }

  // Feeds received bytes; returns the body bytes among them (chunk framing excluded). Stops at the end of
  // the response: bytes after it are ignored (we never pipeline).
  std::size_t feed(const char* data, std::size_t length) {
    std::size_t body = 0;
    std::size_t i = 0;
    while (i < length && phase_ != phase::done && phase_ != phase::error) {
      switch (phase_) {
        case phase::head: {
          // Headers are small: accumulate until the blank line.
          const std::size_t take = length - i;
          const std::size_t before = head_.size();
          head_.append(data + i, take);
          const auto end = head_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
          if (end == std::string::npos) {
            if (head_.size() > 64 * 1024) phase_ = phase::error;
            i = length;
            break;
          }
          i += end + 4 - before;
          head_.resize(end + 2);
          parse_head();
          break;
        }
        case phase::body_length: {
          const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, length - i));
          body += n;
          i += n;
          remaining_ -= n;
          if (remaining_ == 0) phase_ = phase::done;
          break;
        }
        case phase::body_until_close:
          body += length - i;
          i = length;
          break;
        case phase::body_chunked:
          body += feed_chunked(data, length, i);
          break;
        default:
          break;
      }
    }
    return body;
  }

  // The peer closed the connection: a body delimited by the close is then complete.
  void closed() {
    if (phase_ == phase::body_until_close) phase_ = phase::done;
  }

  phase state() const { return phase_; }
  bool done() const { return phase_ == phase::done; }
  bool failed() const { return phase_ == phase::error; }
  bool in_body() const { return phase_ != phase::head; }
  unsigned status() const { return status_; }
  bool must_close() const { return close_; }

 private:
  enum class chunk_state { size, size_line, data, data_crlf, trailer };

  static bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k) {
      char x = a[k], y = b[k];
      if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
      if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
      if (x != y) return false;
    }
    return true;
  }

  void parse_head() {
    std::string_view h(head_);
    if (h.size() < 12 || h.substr(0, 5) != "HTTP/") {
      phase_ = phase::error;
      return;
    }
    status_ = static_cast<unsigned>((h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0'));
    bool chunked = false;
    std::int64_t length = -1;
    std::size_t pos = h.find("\r\n") + 2;
    while (pos < h.size()) {
      auto eol = h.find("\r\n", pos);
      if (eol == std::string_view::npos) break;
      auto line = h.substr(pos, eol - pos);
      pos = eol + 2;
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      auto name = line.substr(0, colon);
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (iequals(name, "content-length")) {
        length = 0;
        for (char c : value) {
          if (c < '0' || c > '9') break;
          length = length * 10 + (c - '0');
        }
      } else if (iequals(name, "transfer-encoding")) {
        chunked = value.find("chunked") != std::string_view::npos;
      } else if (iequals(name, "connection")) {
        close_ = iequals(value, "close");
      }
    }
    head_.clear();
    head_.shrink_to_fit();
    if (status_ == 204 || status_ == 304) {
      phase_ = phase::done;
    } else if (chunked) {
      phase_ = phase::body_chunked;
    } else if (length >= 0) {
      remaining_ = static_cast<std::uint64_t>(length);
      phase_ = remaining_ == 0 ? phase::done : phase::body_length;
    } else {
      phase_ = phase::body_until_close;
      close_ = true;
    }
  }

  std::size_t feed_chunked(const char* data, std::size_t length, std::size_t& i) {
    std::size_t body = 0;
    while (i < length && phase_ == phase::body_chunked) {
      const char c = data[i];
      switch (chunk_state_) {
        case chunk_state::size:
          if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
            const int digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
            chunk_size_ = chunk_size_ * 16 + static_cast<std::uint64_t>(digit);
            saw_digit_ = true;
            ++i;
          } else if (!saw_digit_) {
            phase_ = phase::error;
          } else {
            chunk_state_ = chunk_state::size_line;
          }
          break;
        case chunk_state::size_line:  // extensions, then LF
          ++i;
          if (c == '\n') {
            saw_digit_ = false;
            if (chunk_size_ == 0) {
              chunk_state_ = chunk_state::trailer;
              trailer_line_ = 0;
            } else {
              chunk_state_ = chunk_state::data;
            }
          }
          break;
        case chunk_state::data: {
          const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size_, length - i));
          body += n;
          i += n;
          chunk_size_ -= n;
          if (chunk_size_ == 0) {
            chunk_state_ = chunk_state::data_crlf;
            crlf_seen_ = 0;
          }
          break;
        }
        case chunk_state::data_crlf:
          ++i;
          if (c == '\n') chunk_state_ = chunk_state::size;
          break;
        case chunk_state::trailer:  // lines until an empty one
          ++i;
          if (c == '\n') {
            if (trailer_line_ == 0) {
              phase_ = phase::done;
            }
            trailer_line_ = 0;
          } else if (c != '\r') {
            ++trailer_line_;
          }
          break;
      }
    }
    return body;
  }

  phase phase_ = phase::head;
  std::string head_;
  unsigned status_ = 0;
  std::uint64_t remaining_ = 0;
  bool close_ = false;
  chunk_state chunk_state_ = chunk_state::size;
  std::uint64_t chunk_size_ = 0;
  bool saw_digit_ = false;
  int crlf_seen_ = 0;
  int trailer_line_ = 0;
};

}  // namespace serenade::bench
