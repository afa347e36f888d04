#include "archive/song_check.hpp"

#include "archive/mp3_frames.hpp"
#include "core/hex.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

namespace serenade::archive {


song_check check_song_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {std::nullopt, "cannot open " + path};
  // Songs are a few MB; reading one whole keeps the frame walk simple and runs off the I/O threads.
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return {std::nullopt, "cannot read " + path};
  const auto scan = scan_mp3(bytes);
  if (!scan.complete) return {std::nullopt, scan.problem.empty() ? "not a complete MP3 file" : scan.problem};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned digest_length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &digest_length, EVP_sha256(), nullptr);
  song_facts facts;
  facts.size = bytes.size();
  facts.sha256 = core::to_hex({digest, digest_length});
  facts.duration_ms = static_cast<std::int64_t>(scan.duration_seconds * 1000.0 + 0.5);
  return {facts, {}};
}

}  // namespace serenade::archive
