#pragma once
// A few threads for work that blocks (database calls), so I/O threads never wait on it.
//   auto row = co_await pool.run([&] { return store.find(id); });
// The caller resumes on its own executor (e.g. its connection's strand) with the value or the exception.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <optional>
#include <type_traits>

namespace serenade::core {

class blocking_pool {
 public:
  explicit blocking_pool(std::size_t threads) : pool_(threads) {}
  ~blocking_pool() { pool_.join(); }
  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  // `work` runs on a pool thread while the caller is suspended, so it may refer to the caller's locals.
  // Pass a lambda that captures by reference ([&]): GCC 12 destroys closure temporaries with non-trivial
  // captures twice when they appear in a co_await expression (GCC bug 100611), so never capture by copy here.
  template <class Work>
  auto run(Work&& work) -> boost::asio::awaitable<std::invoke_result_t<Work&>> {
    using result = std::invoke_result_t<Work&>;
    using stored = std::conditional_t<std::is_void_v<result>, bool, result>;
    std::optional<stored> value;
    std::exception_ptr error;
    co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
        [this, &work, &value, &error](auto handler) {
          boost::asio::post(pool_, [&work, &value, &error, handler = std::move(handler)]() mutable {
            try {
              if constexpr (std::is_void_v<result>) {
                work();
                value.emplace(true);
              } else {
                value.emplace(work());
              }
            } catch (...) {
              error = std::current_exception();
            }
            auto home = boost::asio::get_associated_executor(handler);
            boost::asio::post(home, std::move(handler));
          });
        },
        boost::asio::use_awaitable);
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<result>) co_return std::move(*value);
  }

  // `work` on a pool thread, nobody waiting for it; it must own what it uses.
  template <class Work>
  void post(Work work) {
    boost::asio::post(pool_, std::move(work));
  }

  void stop() { pool_.join(); }

 private:
  boost::asio::thread_pool pool_;
};

// `work` on `pool`, or right here when there is no pool (parts that are tested without one). Same rules for
// `work` as blocking_pool::run.
template <class Work>
auto run_on(blocking_pool* pool, Work& work) -> boost::asio::awaitable<std::invoke_result_t<Work&>> {
  if (pool) co_return co_await pool->run(work);
  co_return work();
}

}  // namespace serenade::core
