// The one translation unit that compiles Asio, Asio.SSL and Beast. Every other file is built with
// BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION and only sees declarations,
// which keeps a rebuild on two cores in seconds rather than minutes.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
