#include "sonauto/failure.hpp"

#include "core/log.hpp"

namespace serenade::sonauto {

std::string_view to_string(failure_kind kind) {
  switch (kind) {
    case failure_kind::resolve: return "resolve";
    case failure_kind::connect: return "connect";
    case failure_kind::tls: return "tls";
    case failure_kind::timeout: return "timeout";
    case failure_kind::http_status: return "http_status";
    case failure_kind::protocol: return "protocol";
    case failure_kind::cancelled: return "cancelled";
  }
  return "unknown";
}

std::string failure::describe() const {
  std::string line = stage.empty() ? std::string("sonauto") : stage;
  line += ": ";
  if (kind == failure_kind::http_status) {
    const std::string code = "HTTP " + std::to_string(status);
    line += code;
    if (!detail.empty() && detail != code) line += ": " + log::outside_text(detail);
    return line;
  }
  line += detail.empty() ? std::string(to_string(kind)) : log::outside_text(detail);
  return line;
}

}  // namespace serenade::sonauto
