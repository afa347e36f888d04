#pragma once
// What can go wrong when talking to Sonauto, as a value. Every coroutine of the client returns an outcome<T>:
// either the T or a failure naming the kind of error and the stage of the exchange where it happened.
// A failure never contains the API key (the client scrubs every detail it produces).
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace serenade::sonauto {

enum class failure_kind {
  resolve,      // the host name did not resolve
  connect,      // TCP connect refused / unreachable
  tls,          // TLS handshake or certificate verification failed
  timeout,      // a stage exceeded its timeout (connect_timeout, request_timeout, stream_read_timeout)
  http_status,  // upstream answered with a non-2xx status; `status` and `detail` say what it said
  protocol,     // malformed or cut response, unexpected body, connection dropped mid-exchange
  cancelled,    // close() or per-operation cancellation stopped the operation
};

// "resolve", "connect", ... for logs and metric labels.
std::string_view to_string(failure_kind kind);

// The stages of one upstream exchange, in order; `failure::stage` is one of these.
namespace stage {
inline constexpr std::string_view resolve = "resolve";
inline constexpr std::string_view connect = "connect";
inline constexpr std::string_view tls_handshake = "tls_handshake";
inline constexpr std::string_view send_request = "send_request";
inline constexpr std::string_view read_header = "read_header";
inline constexpr std::string_view read_body = "read_body";
inline constexpr std::string_view write_body = "write_body";  // download: handing the body to its sink
}  // namespace stage

struct failure {
  failure_kind kind = failure_kind::protocol;
  std::string stage;   // one of serenade::sonauto::stage
  unsigned status = 0;  // upstream HTTP status when kind == http_status
  std::string detail;  // upstream's `detail` text, or a description of the failure

  // One line for logs: "read_header: timeout after 30s", "read_header: HTTP 401: Invalid API key format".
  std::string describe() const;
};

// Holds a T or a failure. A default-constructed outcome is a failure (cancelled, "no result"): it exists only so
// that asio::co_spawn, which needs a default value for its exception path, accepts awaitable<outcome<T>>.
template <class T>
class outcome {
 public:
  outcome() : state_(std::in_place_index<1>, failure{failure_kind::cancelled, "", 0, "no result"}) {}
  outcome(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  outcome(failure error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit on purpose

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // Calling value() on a failure (or error() on a value) is a programming error: it throws std::logic_error.
  T& value() & { return std::get<0>(checked(true)); }
  const T& value() const& { return std::get<0>(checked(true)); }
  T&& value() && { return std::get<0>(std::move(checked(true))); }
  const failure& error() const& { return std::get<1>(checked(false)); }
  failure&& error() && { return std::get<1>(std::move(checked(false))); }

 private:
  std::variant<T, failure>& checked(bool want_value) {
    if (ok() != want_value) throw std::logic_error(want_value ? "outcome holds a failure" : "outcome holds a value");
    return state_;
  }
  const std::variant<T, failure>& checked(bool want_value) const {
    if (ok() != want_value) throw std::logic_error(want_value ? "outcome holds a failure" : "outcome holds a value");
    return state_;
  }

  std::variant<T, failure> state_;
};

}  // namespace serenade::sonauto
