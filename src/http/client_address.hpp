#pragma once
// Who a request comes from: the remote address, or the address a trusted proxy forwarded.
#include <optional>
#include <string>
#include <string_view>

namespace serenade::http {

// The client key, for rate limits and the idempotency scope: the first X-Forwarded-For hop when
// the proxy is trusted and that hop is an IP literal (v4, v6, optionally "[v6]:port" or "v4:port"), else the
// remote address. Addresses are returned in canonical form (lowercase, compressed IPv6; an IPv4-mapped IPv6
// address as plain IPv4) so one client never has two keys.
// Only trust the proxy when it *replaces* X-Forwarded-For (nginx: proxy_set_header X-Forwarded-For $remote_addr):
// a proxy that appends keeps the client's own first hop, which the client can forge.
std::string client_key(std::string_view remote_address, std::optional<std::string_view> x_forwarded_for,
                       bool trust_proxy);

// The canonical text of an IP literal, or nullopt when text is not one.
std::optional<std::string> canonical_ip(std::string_view text);

// The addresses that count as one client for limits: an IPv4 address, or the IPv6 /64 it lies in (one
// subscriber's network, in which a host picks new addresses at will). Text that is no address is its own group.
std::string client_group(std::string_view address);
// A wider range, for shares of the daily budget: the IPv4 /24 or the IPv6 /48 of an address.
std::string network_group(std::string_view address);

}  // namespace serenade::http
