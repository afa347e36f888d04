#include "archive/song_check.hpp"

#include "archive/mp3_frames.hpp"
#include "core/hex.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <vector>

namespace serenade::archive {

song_check check_song_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {std::nullopt, "cannot open " + path};
  const auto size = static_cast<std::streamsize>(in.tellg());
  in.seekg(0);
  if (size < 0 || !in) return {std::nullopt, "cannot read " + path};
  // Songs are a few MB; reading one whole keeps the frame walk simple and runs off the I/O threads. The buffer
  // is sized once: one grown while reading held up to twice the song at its peak (25 MB for a 14 MB song).
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), size);
  if (in.bad()) return {std::nullopt, "cannot read " + path};
  bytes.resize(static_cast<std::size_t>(in.gcount()));  // fewer if the file shrank meanwhile
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
