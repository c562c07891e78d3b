#include "engine/cpu/cpu_backend.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <iterator>

#include "engine/cpu/resident_weights.hpp"
#include "engine/forward.hpp"

namespace ossa::engine {
namespace {

class CpuBackend final : public Backend {
 public:
  CpuBackend(const Checkpoint& ck, const ModelConfig& c, const ModelWeights& w, unsigned threads, bool map_weights)
      : ck_(ck), resident_(make_resident(ck, c, w, map_weights, threads)), m_(c, resident_.weights, threads) {}

  const char* name() const override { return "cpu"; }
  std::string weights_note() const override { return resident_.note; }

  void reserve_blocks(std::size_t count) override {
    if (m_.blocks.size() < count) m_.blocks.resize(count);
  }

  void copy_block(BlockId from, BlockId to) override {
    std::copy_n(m_.block(from), m_.kv.block_floats(), m_.block(to));
  }

  void step(std::span<const StepSequence> batch, const TraceFn* trace) override { forward(m_, batch, trace); }

  std::uint64_t prefetch() override {
    // Ranges of bf16 tensors that --weights-q8 replaced (their pages were dropped: reading
    // them would map them back for nothing), by address, for a binary search per page.
    auto released = m_.weights.released;
    std::sort(released.begin(), released.end());
    auto is_released = [&released](const std::uint8_t* p) {
      auto it = std::upper_bound(released.begin(), released.end(), p,
                                 [](const std::uint8_t* a, const auto& r) { return a < r.first; });
      return it != released.begin() && p < std::prev(it)->first + std::prev(it)->second;
    };
    std::uint64_t total = 0;
    for (const auto& f : ck_.files()) {
      const std::uint8_t* base = f.map_data();
      const std::size_t size = f.map_size();
      ::madvise(const_cast<std::uint8_t*>(base), size, MADV_WILLNEED);
      const std::size_t page = 4096, pages = (size + page - 1) / page;
      m_.pool.parallel_for(pages, [&](std::size_t b, std::size_t e) {
        std::uint8_t acc = 0;
        for (std::size_t p = b; p < e; ++p) {
          if (!is_released(base + p * page)) acc ^= static_cast<const volatile std::uint8_t*>(base)[p * page];
        }
        static_cast<void>(acc);
      });
      total += size;
    }
    for (const auto& r : released) total -= std::min<std::uint64_t>(total, r.second);
    return total;
  }

 private:
  const Checkpoint& ck_;
  ResidentWeights resident_;  // before m_, which reads its weights
  CpuModel m_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const Checkpoint& checkpoint, const ModelConfig& config,
                                          const ModelWeights& weights, unsigned threads, bool map_weights) {
  return std::make_unique<CpuBackend>(checkpoint, config, weights, threads, map_weights);
}

}  // namespace ossa::engine
