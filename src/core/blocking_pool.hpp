#pragma once
// A few threads for work that blocks (database calls), so I/O threads never wait on it.
//   auto row = co_await pool.run([&] { return store.find(id); });
// The caller resumes on its own executor (e.g. its connection's strand) with the value or the exception.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>

namespace serenade::core {

class blocking_pool {
 public:
  explicit blocking_pool(std::size_t threads) : pool_(threads) {}
  ~blocking_pool() { pool_.join(); }
  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  template <class Work>
  auto run(Work work) -> boost::asio::awaitable<std::invoke_result_t<Work&>> {
    using result = std::invoke_result_t<Work&>;
    return boost::asio::co_spawn(
        pool_.get_executor(),
        [work = std::move(work)]() mutable -> boost::asio::awaitable<result> { co_return work(); },
        boost::asio::use_awaitable);
  }

  void stop() { pool_.join(); }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace serenade::core
