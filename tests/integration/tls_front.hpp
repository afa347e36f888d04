#pragma once
// A TLS terminator on loopback in front of a plain HTTP port, as a load balancer holding the public certificate
// would be: it accepts TLS with the given certificate and passes the bytes both ways to 127.0.0.1:target_port.
// Runs on a thread of its own until destroyed.
#include "core/testing/test_certificate.hpp"

#include <cstdint>
#include <memory>

namespace serenade::testing {

class tls_front {
 public:
  tls_front(const test_certificate& certificate, std::uint16_t listen_port, std::uint16_t target_port);
  ~tls_front();
  tls_front(const tls_front&) = delete;
  tls_front& operator=(const tls_front&) = delete;

  // TLS handshakes completed so far (a client that refused the certificate completes none).
  std::uint64_t handshakes() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace serenade::testing
