#include "engine/model.hpp"

#include <sched.h>
#include <sys/mman.h>

#include <mutex>
#include <thread>

#include "engine/model_impl.hpp"

namespace ossa::engine {

ModelImpl::ModelImpl(Checkpoint ck, unsigned n_threads)
    : checkpoint(std::move(ck)),
      config(checkpoint.config()),
      weights(bind_weights(checkpoint)),
      threads(n_threads),
      pool(n_threads) {
  yarn_frequencies(config, inv_freq, concentration);
}

Model::Model(std::unique_ptr<ModelImpl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

unsigned usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

std::shared_ptr<const Model> Model::load(const std::filesystem::path& dir, const LoadOptions& options) {
  const unsigned cores = usable_cores();
  unsigned threads = options.threads;
  if (threads == 0 || threads > cores) threads = cores;
  auto impl = std::make_unique<ModelImpl>(Checkpoint::open(dir), threads);
  return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

const ModelConfig& Model::config() const { return impl_->config; }
Layout Model::layout() const { return impl_->checkpoint.layout(); }
const std::filesystem::path& Model::dir() const { return impl_->checkpoint.dir(); }
unsigned Model::threads() const { return impl_->threads; }
std::uint64_t Model::weight_bytes() const { return impl_->checkpoint.data_bytes(); }

std::uint64_t Model::prefetch() const {
  std::lock_guard<std::mutex> lock(impl_->compute_mutex);
  std::uint64_t total = 0;
  for (const auto& f : impl_->checkpoint.files()) {
    const std::uint8_t* base = f.map_data();
    const std::size_t size = f.map_size();
    ::madvise(const_cast<std::uint8_t*>(base), size, MADV_WILLNEED);
    const std::size_t page = 4096, pages = (size + page - 1) / page;
    impl_->pool.parallel_for(pages, [&](std::size_t b, std::size_t e) {
      std::uint8_t acc = 0;
      for (std::size_t p = b; p < e; ++p) acc ^= static_cast<const volatile std::uint8_t*>(base)[p * page];
      static_cast<void>(acc);
    });
    total += size;
  }
  return total;
}

std::uint64_t Model::bytes_read_per_token() const {
  const ModelConfig& c = impl_->config;
  const std::uint64_t H = static_cast<std::uint64_t>(c.hidden_size), V = static_cast<std::uint64_t>(c.vocab_size),
                      E = static_cast<std::uint64_t>(c.num_experts), I = static_cast<std::uint64_t>(c.intermediate_size),
                      Q = static_cast<std::uint64_t>(c.q_width()), KV = static_cast<std::uint64_t>(c.kv_width()),
                      k = static_cast<std::uint64_t>(c.experts_per_token);
  const std::uint64_t attn = 2 * ((Q + 2 * KV) * H + (Q + 2 * KV) + static_cast<std::uint64_t>(c.num_heads) + H * Q + H + 2 * H);
  const std::uint64_t router = 2 * (E * H + E);
  // MXFP4: 16 bytes + 1 scale byte per 32 weights, plus bf16 biases.
  const std::uint64_t expert = (2 * I) * (H / 32) * 17 + 2 * (2 * I) + H * (I / 32) * 17 + 2 * H;
  const std::uint64_t per_layer = attn + router + k * expert;
  return static_cast<std::uint64_t>(c.num_layers) * per_layer + 2 * (V * H + H + H);
}

}  // namespace ossa::engine
