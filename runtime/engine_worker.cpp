#include "runtime/engine_worker.hpp"

#include <algorithm>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <memory>

namespace ossa::runtime {
namespace asio = boost::asio;

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

Chunk run_chunk(TokenSource& source, const ChunkRequest& req) {
  Chunk out;
  try {
    if (req.prompt) {
      auto t0 = std::chrono::steady_clock::now();
      out.reprocessed = source.set_context(*req.prompt);
      out.prefill_ms = ms_since(t0);
    }
    auto t0 = std::chrono::steady_clock::now();
    while (static_cast<int>(out.tokens.size()) < req.max_tokens) {
      if (req.cancel && req.cancel->load(std::memory_order_relaxed)) break;
      std::optional<TokenId> t = source.next_token();
      if (!t) {
        out.source_ended = true;
        break;
      }
      out.tokens.push_back(*t);
      if (std::find(req.stop_tokens.begin(), req.stop_tokens.end(), *t) != req.stop_tokens.end()) {
        out.stopped = true;
        break;
      }
    }
    out.decode_ms = ms_since(t0);
  } catch (const std::exception& e) {
    out.error = e.what();
  } catch (...) {
    out.error = "unknown error in the generation backend";
  }
  return out;
}

EngineWorker::EngineWorker() : thread_([this] { loop(); }) {}

EngineWorker::~EngineWorker() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  thread_.join();
}

void EngineWorker::post(std::function<void()> job) {
  {
    std::lock_guard lk(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void EngineWorker::loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

asio::awaitable<Chunk> EngineWorker::generate(TokenSource& source, ChunkRequest request) {
  auto initiate = [this, &source, req = std::move(request)](auto handler) mutable {
    // The handler is move-only; a shared_ptr makes the job copyable for std::function. The
    // work guard keeps the caller's io_context running while the chunk is generated.
    using Handler = decltype(handler);
    auto ex = asio::get_associated_executor(handler);
    auto state = std::make_shared<std::pair<Handler, asio::executor_work_guard<decltype(ex)>>>(
        std::move(handler), asio::make_work_guard(ex));
    auto shared_req = std::make_shared<ChunkRequest>(std::move(req));
    post([state, shared_req, &source] {
      auto chunk = std::make_shared<Chunk>(run_chunk(source, *shared_req));
      auto ex2 = state->second.get_executor();
      asio::post(ex2, [state, chunk]() mutable {
        auto h = std::move(state->first);
        state->second.reset();
        h(std::move(*chunk));
      });
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Chunk)>(
      std::move(initiate), asio::use_awaitable);
}

}  // namespace ossa::runtime
