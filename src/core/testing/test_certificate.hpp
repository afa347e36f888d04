#pragma once
// A throwaway self-signed certificate for tests that speak TLS on loopback (the Sonauto client's https path, the
// simulator's https webhooks). Never for anything but tests.
#include <string>

namespace serenade::testing {

struct test_certificate {
  std::string cert_pem;
  std::string key_pem;
};

// EC P-256, valid from an hour ago for a day, CA:TRUE so that it can be its own trust anchor, with `dns_name` as
// its common name and its one subjectAltName.
test_certificate make_test_certificate(const std::string& dns_name);

}  // namespace serenade::testing
