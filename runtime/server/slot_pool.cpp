// GCC 12 with -fsanitize at -O2 reports coroutine frames freed through asio's awaitable
// operator delete as mismatched (a known false positive, GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "runtime/server/slot_pool.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ossa::server {
namespace asio = boost::asio;

SlotPool::Lease::~Lease() {
  if (slot_) pool_->release(slot_);
}

SlotPool::SlotPool(SourceFactory& factory, int slots, int max_queue)
    : factory_(&factory), max_queue_(max_queue) {
  for (int i = 0; i < std::max(1, slots); ++i) {
    auto s = std::make_unique<Slot>();
    s->source = factory.make();
    slots_.push_back(std::move(s));
  }
}

bool SlotPool::full() const {
  for (const auto& s : slots_)
    if (!s->busy) return false;
  return static_cast<int>(waiters_.size()) >= max_queue_;
}

int SlotPool::running() const {
  int n = 0;
  for (const auto& s : slots_) n += s->busy ? 1 : 0;
  return n;
}

std::int64_t SlotPool::kv_tokens() const {
  std::int64_t n = 0;
  for (const auto& s : slots_) n += static_cast<std::int64_t>(s->context.size());
  return n;
}

void SlotPool::changed() const {
  if (on_change) on_change();
}

SlotPool::Slot* SlotPool::best_free(const std::vector<runtime::TokenId>& prompt) {
  Slot* best = nullptr;
  std::size_t best_lcp = 0;
  for (const auto& s : slots_) {
    if (s->busy) continue;
    std::size_t n = std::min(s->context.size(), prompt.size()), lcp = 0;
    while (lcp < n && s->context[lcp] == prompt[lcp]) ++lcp;
    // Ties go to the slot holding the least, so long cached contexts survive longer.
    if (!best || lcp > best_lcp || (lcp == best_lcp && s->context.size() < best->context.size())) {
      best = s.get();
      best_lcp = lcp;
    }
  }
  return best;
}

asio::awaitable<SlotPool::Lease> SlotPool::acquire(const std::vector<runtime::TokenId>& prompt) {
  if (waiters_.empty()) {
    if (Slot* s = best_free(prompt)) {
      s->busy = true;
      changed();
      co_return Lease(this, s);
    }
  }
  auto ex = co_await asio::this_coro::executor;
  auto w = std::make_shared<Waiter>(ex);
  w->timer.expires_at(asio::steady_timer::time_point::max());
  waiters_.push_back(w);
  changed();
  while (!w->slot) {
    boost::system::error_code ec;
    co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return Lease(this, w->slot);
}

void SlotPool::release(Slot* slot) {
  slot->busy = false;
  if (!waiters_.empty()) {
    auto w = waiters_.front();
    waiters_.pop_front();
    slot->busy = true;
    w->slot = slot;
    w->timer.cancel();
  }
  changed();
}

}  // namespace ossa::server
