#include "runtime/engine_worker.hpp"

#include <algorithm>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>

#include "runtime/engine_token_source.hpp"

namespace ossa::runtime {
namespace asio = boost::asio;

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

Chunk to_chunk(engine::Result r) {
  Chunk c;
  c.tokens.assign(r.tokens.begin(), r.tokens.end());
  c.stopped = r.stopped;
  c.reprocessed = r.reprocessed;
  c.prefill_ms = r.first_token_ms;
  c.decode_ms = std::max(0.0, r.total_ms - r.first_token_ms);
  c.error = std::move(r.error);
  return c;
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

EngineWorker::EngineWorker(const engine::SchedulerOptions& options)
    : options_(options), mailbox_(std::make_shared<Mailbox>()), thread_([this] { loop(); }) {}

EngineWorker::~EngineWorker() {
  {
    std::lock_guard lk(mailbox_->mu);
    mailbox_->stopping = true;
    mailbox_->items.clear();
  }
  mailbox_->cv.notify_all();
  thread_.join();
  // A source that outlives the worker finds the mailbox gone (its on_destroy holds a weak_ptr).
}

void EngineWorker::enqueue(Item item) {
  {
    std::lock_guard lk(mailbox_->mu);
    mailbox_->items.push_back(std::move(item));
  }
  mailbox_->cv.notify_one();
}

void EngineWorker::post(std::function<void()> job) {
  Item it;
  it.job = std::move(job);
  enqueue(std::move(it));
}

std::size_t EngineWorker::sequences() const {
  std::lock_guard lk(count_mu_);
  return open_sequences_;
}

bool EngineWorker::busy() const {
  for (const auto& [m, s] : schedulers_) {
    if (s->busy()) return true;
  }
  return false;
}

void EngineWorker::handle(Item& it) {
  if (it.job) return it.job();
  EngineTokenSource* src = it.source;
  auto found = served_.find(src);
  if (!it.done) {  // the source is gone: free its sequence
    if (found != served_.end()) {
      found->second.scheduler->close(found->second.id);
      served_.erase(found);
      std::lock_guard lk(count_mu_);
      --open_sequences_;
    }
    return;
  }
  try {
    if (found == served_.end()) {
      auto& sched = schedulers_[src->model().get()];
      if (!sched) sched = std::make_unique<engine::Scheduler>(src->model(), options_);
      Served s;
      s.scheduler = sched.get();
      s.id = sched->open(src->sampling());
      found = served_.emplace(src, s).first;
      // The source tells this worker when it goes away (through the mailbox, which may
      // outlive the worker: then there is nothing left to free).
      std::weak_ptr<Mailbox> box = mailbox_;
      src->on_destroy([box, src] {
        auto b = box.lock();
        if (!b) return;
        Item close;
        close.source = src;
        {
          std::lock_guard lk(b->mu);
          if (b->stopping) return;
          b->items.push_back(std::move(close));
        }
        b->cv.notify_one();
      });
      std::lock_guard lk(count_mu_);
      ++open_sequences_;
    }
    Served& s = found->second;
    s.cancel = it.request.cancel;
    engine::Request r;
    if (it.request.prompt) r.prompt.emplace(it.request.prompt->begin(), it.request.prompt->end());
    r.max_tokens = static_cast<std::size_t>(std::max(0, it.request.max_tokens));
    r.stop_tokens.assign(it.request.stop_tokens.begin(), it.request.stop_tokens.end());
    s.scheduler->submit(s.id, std::move(r), [done = std::move(it.done), &s](engine::Result res) {
      s.cancel = nullptr;
      done(to_chunk(std::move(res)));
    });
  } catch (const std::exception& e) {
    Chunk c;
    c.error = e.what();
    if (it.done) it.done(std::move(c));
  }
}

void EngineWorker::loop() {
  for (;;) {
    std::deque<Item> items;
    {
      const bool stepping = busy();
      std::unique_lock lk(mailbox_->mu);
      mailbox_->cv.wait(lk, [&] { return mailbox_->stopping || !mailbox_->items.empty() || stepping; });
      if (mailbox_->stopping) return;
      items.swap(mailbox_->items);
    }
    for (auto& it : items) handle(it);
    // Cancellation flags are read between steps.
    for (auto& [src, s] : served_) {
      if (s.cancel && s.cancel->load(std::memory_order_relaxed)) s.scheduler->cancel(s.id);
    }
    for (auto& [m, sched] : schedulers_) {
      if (!sched->busy()) continue;
      try {
        sched->step();
      } catch (const std::exception&) {
        // A step that throws (out of memory in the backend) ends every request it held.
        for (auto& [src, s] : served_) {
          if (s.scheduler == sched.get()) s.scheduler->cancel(s.id);
        }
      }
    }
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
    std::function<void(Chunk)> deliver = [state](Chunk c) {
      auto chunk = std::make_shared<Chunk>(std::move(c));
      auto ex2 = state->second.get_executor();
      asio::post(ex2, [state, chunk]() mutable {
        auto h = std::move(state->first);
        state->second.reset();
        h(std::move(*chunk));
      });
    };
    if (auto* es = dynamic_cast<EngineTokenSource*>(&source)) {
      Item it;
      it.source = es;
      it.request = std::move(req);
      it.done = std::move(deliver);
      return enqueue(std::move(it));
    }
    auto shared_req = std::make_shared<ChunkRequest>(std::move(req));
    post([deliver, shared_req, &source] { deliver(run_chunk(source, *shared_req)); });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Chunk)>(
      std::move(initiate), asio::use_awaitable);
}

}  // namespace ossa::runtime
