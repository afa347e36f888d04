#include "http/client_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace serenade::http {

namespace {

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 5 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// An X-Forwarded-For hop is an address, sometimes with a port ("[v6]:port", "v4:port"); anything else
// ("unknown", a host name, an obfuscated identifier) is not one.
std::optional<std::string> hop_address(std::string_view hop) {
  if (hop.size() > 64) return std::nullopt;  // longer than any address with a port
  if (hop.starts_with('[')) {
    const auto close = hop.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const auto rest = hop.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && all_digits(rest.substr(1)))) return std::nullopt;
    // Brackets belong to IPv6 only (an IPv4-mapped one is still returned as IPv4).
    const auto inside = hop.substr(1, close - 1);
    if (inside.find(':') == std::string_view::npos) return std::nullopt;
    return canonical_ip(inside);
  }
  const auto colon = hop.find(':');
  if (colon != std::string_view::npos && hop.find(':', colon + 1) == std::string_view::npos) {
    // Exactly one colon: IPv4 with a port (an IPv6 literal has at least two).
    if (!all_digits(hop.substr(colon + 1))) return std::nullopt;
    return canonical_ip(hop.substr(0, colon));
  }
  return canonical_ip(hop);
}

}  // namespace


std::optional<std::string> canonical_ip(std::string_view text) {
  // inet_pton reads a terminated string, so an embedded NUL would hide whatever follows it.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string z(text);
  char out[INET6_ADDRSTRLEN];
  in_addr v4{};
  if (inet_pton(AF_INET, z.c_str(), &v4) == 1) {
    if (!inet_ntop(AF_INET, &v4, out, sizeof out)) return std::nullopt;
    return std::string(out);
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, z.c_str(), &v6) != 1) return std::nullopt;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; they are the same client as a.b.c.d.
    std::memcpy(&v4, &v6.s6_addr[12], sizeof v4);
    if (!inet_ntop(AF_INET, &v4, out, sizeof out)) return std::nullopt;
    return std::string(out);
  }
  if (!inet_ntop(AF_INET6, &v6, out, sizeof out)) return std::nullopt;
  return std::string(out);
}

namespace {

// "address/prefix" with the bits after the prefix cleared; the text itself when it is no address.
std::string masked(std::string_view address, unsigned v4_prefix, unsigned v6_prefix) {
  const auto canonical = canonical_ip(address);
  if (!canonical) return std::string(address);
  char out[INET6_ADDRSTRLEN];
  in_addr v4{};
  if (inet_pton(AF_INET, canonical->c_str(), &v4) == 1) {
    const std::uint32_t mask = v4_prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - v4_prefix);
    v4.s_addr = htonl(ntohl(v4.s_addr) & mask);
    inet_ntop(AF_INET, &v4, out, sizeof out);
    return std::string(out) + "/" + std::to_string(v4_prefix);
  }
  in6_addr v6{};
  inet_pton(AF_INET6, canonical->c_str(), &v6);
  for (unsigned bit = v6_prefix; bit < 128; ++bit) v6.s6_addr[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
  inet_ntop(AF_INET6, &v6, out, sizeof out);
  return std::string(out) + "/" + std::to_string(v6_prefix);
}

}  // namespace

std::string client_group(std::string_view address) { return masked(address, 32, 64); }

std::string network_group(std::string_view address) { return masked(address, 24, 48); }

std::string client_key(std::string_view remote_address, std::optional<std::string_view> x_forwarded_for,
                       bool trust_proxy) {
  if (trust_proxy && x_forwarded_for) {
    auto first = x_forwarded_for->substr(0, x_forwarded_for->find(','));
    if (auto address = hop_address(trim(first))) return *address;
  }
  if (auto address = canonical_ip(remote_address)) return *address;
  return std::string(remote_address);
}

}  // namespace serenade::http
