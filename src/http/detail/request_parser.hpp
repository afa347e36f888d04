#pragma once
// Beast's HTTP/1.1 request parser writing straight into a `request` that a connection keeps from one request to
// the next: the strings keep their capacity, so a keep-alive client that repeats the same kind of request (a
// player asking for ranges) is parsed without allocating. Beast's own parser would build a field list per
// request (an allocation per header line) that the server then copied again.
#include "http/message.hpp"

#include <boost/beast/http/basic_parser.hpp>

#include <cstdint>

namespace serenade::http::detail {

class request_parser final : public boost::beast::http::basic_parser<true> {
 public:
  // Clears what `into` held before (method, target, headers, body); keeps remote_address.
  request_parser(request& into, std::uint32_t header_limit, std::uint64_t body_limit);

 private:
  void on_request_impl(boost::beast::http::verb, boost::beast::string_view method, boost::beast::string_view target,
                       int version, boost::beast::error_code& ec) override;
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(boost::beast::http::field, boost::beast::string_view name, boost::beast::string_view value,
                     boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, boost::beast::error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code& ec) override;

  request& request_;
  std::size_t fields_ = 0;
  int version_ = 11;
};

}  // namespace serenade::http::detail
