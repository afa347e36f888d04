// Sonauto's refusals (sonauto/wire.cpp, error_detail, redact, one_line; sonauto/failure.cpp): a non-2xx body
// becomes one line of text for logs and answers, with the API key scrubbed.
//
// Input: two bytes of HTTP status, one byte choosing the key (0-127: the fixed key of the seeds; above: a key
// of that many characters from the input), then the body.
#include "check.hpp"
#include "core/utf8.hpp"
#include "sonauto/failure.hpp"
#include "sonauto/wire.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace sonauto = serenade::sonauto;

namespace {

// A key as Sonauto issues them: a fixed prefix and letters, digits or underscores.
std::string key_like(std::string_view from) {
  static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
  std::string key = "sksonauto_";
  for (const char c : from) key += alphabet[static_cast<unsigned char>(c) % alphabet.size()];
  return key;
}

// One log line: no control character, within its size, and never a code point cut in two.
void check_one_line(const std::string& text, std::size_t max_bytes, bool from_valid_utf8) {
  FUZZ_CHECK(text.size() <= max_bytes);
  if (from_valid_utf8) FUZZ_CHECK(serenade::utf8::is_valid(text));
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    FUZZ_CHECK(byte >= 0x20 && byte != 0x7f);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const unsigned status = 100 + (data[0] | data[1] << 8) % 500;
  const std::size_t key_chars = data[2] < 128 ? 0 : data[2] - 128;
  std::string_view rest(reinterpret_cast<const char*>(data + 3), size - 3);
  if (key_chars > rest.size()) return 0;
  const std::string key = key_chars == 0 ? std::string("sksonauto_0123456789abcdef0123456789abcdef")
                                         : key_like(rest.substr(0, key_chars));
  rest.remove_prefix(key_chars);

  const auto detail = sonauto::wire::error_detail(status, rest, key);
  FUZZ_CHECK(!detail.empty());
  const bool valid = serenade::utf8::is_valid(rest);
  check_one_line(detail, 1000, valid);
  FUZZ_CHECK(detail.find(key) == std::string::npos);

  const auto redacted = sonauto::wire::redact(std::string(rest), key);
  FUZZ_CHECK(redacted.find(key) == std::string::npos);
  for (const std::size_t max_bytes : {std::size_t{3}, std::size_t{9}, std::size_t{200}}) {
    check_one_line(sonauto::wire::one_line(rest, max_bytes), max_bytes, valid);
  }

  const sonauto::failure refused{sonauto::failure_kind::http_status, std::string(sonauto::stage::read_header),
                                 status, detail};
  FUZZ_CHECK(refused.describe().starts_with("read_header: HTTP " + std::to_string(status)));
  return 0;
}
