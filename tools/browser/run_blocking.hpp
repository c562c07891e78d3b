#pragma once
// Runs blocking work (HTTP fetches, file indexing) on a small shared thread pool and resumes
// the awaiting coroutine on its own executor, so tools never block the event loop.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <type_traits>
#include <utility>

namespace ossa::browser {

// The pool blocking tool work runs on (4 threads, created on first use).
boost::asio::thread_pool& blocking_pool();

namespace detail {
template <class R>
boost::asio::awaitable<R> call_on_pool(std::function<R()> work);
}

// Runs `work()` on blocking_pool(); its result (or exception) comes back to the caller.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F>> run_blocking(F work) {
  using R = std::invoke_result_t<F>;
  return detail::call_on_pool<R>(std::function<R()>(std::move(work)));
}

}  // namespace ossa::browser
