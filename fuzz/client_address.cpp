// Who a request comes from (http/client_address.cpp): the remote address and X-Forwarded-For become the client
// key that rate limits and idempotency are scoped by.
//
// Input: one byte of flags (bit 0: trust the proxy; bit 1: an X-Forwarded-For header is present), then the remote
// address and the header value separated by a newline.
#include "check.hpp"
#include "http/client_address.hpp"

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {

using serenade::http::canonical_ip;
using serenade::http::client_key;

void check_canonical(std::string_view text) {
  const auto canonical = canonical_ip(text);
  if (!canonical) return;
  FUZZ_CHECK(!canonical->empty() && canonical->size() < INET6_ADDRSTRLEN);
  // One client, one key: the canonical form is its own canonical form.
  FUZZ_CHECK(canonical_ip(*canonical) == canonical);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool trust_proxy = data[0] & 1;
  const bool has_header = data[0] & 2;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto newline = text.find('\n');
  const auto remote = text.substr(0, newline);
  const auto forwarded = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  const auto header = has_header ? std::optional<std::string_view>(forwarded) : std::nullopt;

  check_canonical(remote);
  check_canonical(forwarded);

  const auto key = client_key(remote, header, trust_proxy);
  const auto own = client_key(remote, std::nullopt, trust_proxy);
  // The key is an address in canonical form, or the remote address as the socket reported it.
  FUZZ_CHECK(canonical_ip(key) == key || key == remote);
  // An untrusted proxy's header changes nothing.
  if (!trust_proxy) FUZZ_CHECK(key == own);
  // The remote address is the key unless a trusted first hop is an address.
  if (key != own) FUZZ_CHECK(trust_proxy && header && canonical_ip(key) == key);
  return 0;
}
