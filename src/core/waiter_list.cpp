#include "core/waiter_list.hpp"

#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>

#include <algorithm>

namespace serenade::core {

void waiter_list::woken::add(on_executor w) {
  const void* context = &boost::asio::query(w.executor, boost::asio::execution::context);
  add(context, std::move(w.executor), std::move(w.run));
}

void waiter_list::woken::add(const void* context, boost::asio::any_io_executor executor, waiter w) {
  // Few contexts (one per I/O thread): a linear search beats any index.
  auto found = std::find_if(groups_.begin(), groups_.end(), [&](const group& g) { return g.context == context; });
  if (found == groups_.end()) found = groups_.insert(groups_.end(), group{context, std::move(executor), {}});
  found->waiters.push_back(std::move(w));
}

void waiter_list::woken::merge(woken&& other) {
  for (auto& w : other.plain_) plain_.push_back(std::move(w));
  for (auto& g : other.groups_) {
    for (auto& w : g.waiters) add(g.context, g.executor, std::move(w));
  }
  other = {};
}

void waiter_list::woken::wake() {
  auto plain = std::move(plain_);
  auto groups = std::move(groups_);
  plain_.clear();
  groups_.clear();
  for (auto& w : plain) w();
  for (auto& g : groups) {
    boost::asio::post(g.executor, [waiters = std::move(g.waiters)] {
      for (auto& w : waiters) w();
    });
  }
}

std::size_t waiter_list::woken::size() const {
  auto n = plain_.size();
  for (const auto& g : groups_) n += g.waiters.size();
  return n;
}

}  // namespace serenade::core
