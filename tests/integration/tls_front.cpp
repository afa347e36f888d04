#include "tls_front.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <thread>

namespace serenade::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto as_values = asio::as_tuple(asio::use_awaitable);

// Copies what `from` reads to `to` until either side ends.
template <class From, class To>
asio::awaitable<void> pump(From& from, To& to) {
  std::array<char, 16384> buffer;
  for (;;) {
    auto [read_ec, n] = co_await from.async_read_some(asio::buffer(buffer), as_values);
    if (read_ec || n == 0) co_return;
    auto [write_ec, written] = co_await asio::async_write(to, asio::buffer(buffer.data(), n), as_values);
    if (write_ec) co_return;
  }
}

}  // namespace

struct tls_front::impl {
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::uint16_t target_port = 0;
  std::atomic<std::uint64_t> handshakes{0};
  std::thread thread;

  asio::awaitable<void> relay(tcp::socket client) {
    asio::ssl::stream<tcp::socket> secure(std::move(client), tls);
    auto [handshake_ec] = co_await secure.async_handshake(asio::ssl::stream_base::server, as_values);
    if (handshake_ec) co_return;
    ++handshakes;
    tcp::socket plain(io);
    auto [connect_ec] = co_await plain.async_connect({asio::ip::make_address("127.0.0.1"), target_port}, as_values);
    if (connect_ec) co_return;
    // Whichever direction ends first ends the relay: the request is one exchange with Connection: close.
    co_await (pump(secure, plain) || pump(plain, secure));
    [[maybe_unused]] auto [shutdown_ec] = co_await secure.async_shutdown(as_values);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(as_values);
      if (ec) co_return;
      asio::co_spawn(io, relay(std::move(socket)), asio::detached);
    }
  }
};

tls_front::tls_front(const test_certificate& certificate, std::uint16_t listen_port, std::uint16_t target_port)
    : impl_(std::make_unique<impl>()) {
  impl_->tls.use_certificate_chain(asio::buffer(certificate.cert_pem));
  impl_->tls.use_private_key(asio::buffer(certificate.key_pem), asio::ssl::context::pem);
  impl_->target_port = target_port;
  const tcp::endpoint at{asio::ip::make_address("127.0.0.1"), listen_port};
  impl_->acceptor.open(at.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(at);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

tls_front::~tls_front() {
  impl_->io.stop();
  impl_->thread.join();
}

std::uint64_t tls_front::handshakes() const { return impl_->handshakes.load(); }

}  // namespace serenade::testing
