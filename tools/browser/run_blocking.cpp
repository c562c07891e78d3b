#include "tools/browser/run_blocking.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tools/browser/browser.hpp"

namespace ossa::browser {

boost::asio::thread_pool& blocking_pool() {
  static boost::asio::thread_pool pool(4);
  return pool;
}

namespace detail {

// Deliberately not a coroutine: GCC 12 lets lambdas inside a coroutine reach the caller's
// argument instead of the frame's copy of a by-value parameter (use-after-free).
template <class R>
boost::asio::awaitable<R> call_on_pool(std::function<R()> work) {
  // co_spawn onto the pool with use_awaitable: Asio carries the result back to the awaiting
  // coroutine's executor and keeps that executor's work counted meanwhile.
  return boost::asio::co_spawn(
      blocking_pool(),
      [w = std::move(work)]() -> boost::asio::awaitable<R> { co_return w(); },
      boost::asio::use_awaitable);
}

template boost::asio::awaitable<BrowserReply> call_on_pool<BrowserReply>(std::function<BrowserReply()>);

}  // namespace detail
}  // namespace ossa::browser
