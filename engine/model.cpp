#include "engine/model.hpp"

#include <sched.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "engine/cpu/cpu_backend.hpp"
#ifdef OSSA_HAVE_CUDA
#include "engine/cuda/cuda_backend.hpp"
#endif
#include "engine/model_impl.hpp"
#include "kernels/cpu/q8.hpp"

namespace ossa::engine {

std::uint64_t default_kv_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  std::uint64_t avail_kib = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "MemAvailable:") ls >> avail_kib;
  }
  const std::uint64_t floor = 64ull << 20;
  if (avail_kib == 0) return 4ull << 30;  // no /proc: a fixed, modest default
  const std::uint64_t half = avail_kib * 1024 / 2;
  return half > floor ? half : floor;
}

namespace {
std::size_t capacity_for(std::uint64_t bytes, const KvGeometry& g) {
  const std::uint64_t n = bytes / g.block_bytes();
  if (n < g.layers * 2) {
    throw CheckpointError("--kv-memory " + std::to_string(bytes >> 20) + " MiB is too small for this model: one " +
                          std::to_string(g.block_tokens) + "-token block of every layer needs " +
                          std::to_string((g.block_bytes() * g.layers + (1 << 20) - 1) >> 20) + " MiB");
  }
  return static_cast<std::size_t>(n);
}
// The backend for `device`; `note` says which ran and, for auto, why.
std::unique_ptr<Backend> make_backend(const Checkpoint& ck, const ModelConfig& c, const ModelWeights& w,
                                      unsigned threads, const Device& device, [[maybe_unused]] std::uint64_t kv_bytes,
                                      const WeightsQ8& q8, bool map_weights, std::string& note) {
  using Kind = Device::Kind;
  if (device.kind == Kind::cuda) {
#ifdef OSSA_HAVE_CUDA
    if (q8.any()) throw DeviceError("--weights-q8 is a CPU format: drop it or use --device cpu");
    auto b = make_cuda_backend(c, w, device.index, kv_bytes);
    note = device_string(device);
    return b;
#else
    throw DeviceError("--device " + device_string(device) +
                      ": this ossa was built without CUDA (nvcc was not found when it was configured)");
#endif
  }
  if (device.kind == Kind::cpu) {
    note = "cpu";
  } else if (!built_with_cuda()) {
    note = "cpu (auto: this ossa was built without CUDA)";
  } else if (q8.any()) {
    note = "cpu (auto: --weights-q8 is a CPU format)";
  } else {
#ifdef OSSA_HAVE_CUDA
    try {
      auto b = make_cuda_backend(c, w, 0, kv_bytes);
      note = "cuda:0 (auto)";
      return b;
    } catch (const DeviceError& e) {
      note = std::string("cpu (auto: ") + e.what() + ")";
    }
#endif
  }
  return make_cpu_backend(ck, c, w, threads, map_weights);
}
}  // namespace

ModelImpl::ModelImpl(Checkpoint ck, unsigned n_threads, std::uint64_t kv_memory_bytes, const WeightsQ8& q8_groups,
                     const Device& device, bool map_weights)
    : checkpoint(std::move(ck)),
      config(checkpoint.config()),
      weights(bind_weights(checkpoint)),
      weights_q8(q8_groups),
      q8(quantize_weights(config, weights, weights_q8, n_threads)),
      threads(n_threads),
      backend(make_backend(checkpoint, config, weights, n_threads, device, kv_memory_bytes, weights_q8, map_weights,
                           device_note)),
      kv(KvGeometry::of(config)),
      kv_budget_bytes(kv_memory_bytes         ? kv_memory_bytes
                      : backend->kv_budget_default() ? backend->kv_budget_default()
                                                     : default_kv_memory_bytes()),
      blocks(capacity_for(kv_budget_bytes, kv)),
      prefix(kv, blocks) {
  backend->reserve_blocks(blocks.capacity());
  blocks.reclaim = [this] { return prefix.evict_one(); };
}

ModelImpl::~ModelImpl() { prefix.clear(); }

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
  auto impl = std::make_unique<ModelImpl>(Checkpoint::open(dir), threads, options.kv_memory_bytes, options.weights_q8,
                                           options.device, options.map_weights);
  return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

const ModelConfig& Model::config() const { return impl_->config; }
Layout Model::layout() const { return impl_->checkpoint.layout(); }
const std::filesystem::path& Model::dir() const { return impl_->checkpoint.dir(); }
unsigned Model::threads() const { return impl_->threads; }
std::uint64_t Model::weight_bytes() const { return impl_->checkpoint.data_bytes(); }
const char* Model::backend_name() const { return impl_->backend->name(); }
const std::string& Model::device_note() const { return impl_->device_note; }
std::string Model::weights_note() const { return impl_->backend->weights_note(); }
const WeightsQ8& Model::weights_q8() const { return impl_->weights_q8; }
std::uint64_t Model::q8_bytes() const { return impl_->q8.bytes; }

std::uint64_t Model::prefetch() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->backend->prefetch();
}

KvStats Model::kv_stats() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  KvStats s;
  s.block_bytes = impl_->kv.block_bytes();
  s.block_tokens = impl_->kv.block_tokens;
  s.capacity_blocks = impl_->blocks.capacity();
  s.used_blocks = impl_->blocks.used_count();
  s.prefix_entries = impl_->prefix.entries();
  s.prefix_only_blocks = impl_->prefix.reclaimable_blocks();
  return s;
}

void Model::clear_prefix_cache() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->prefix.clear();
}

std::uint64_t Model::bytes_read_per_token() const {
  const ModelConfig& c = impl_->config;
  const WeightsQ8& q8 = impl_->weights_q8;
  const std::uint64_t H = static_cast<std::uint64_t>(c.hidden_size), V = static_cast<std::uint64_t>(c.vocab_size),
                      E = static_cast<std::uint64_t>(c.num_experts), I = static_cast<std::uint64_t>(c.intermediate_size),
                      Q = static_cast<std::uint64_t>(c.q_width()), KV = static_cast<std::uint64_t>(c.kv_width()),
                      k = static_cast<std::uint64_t>(c.experts_per_token);
  // A rows x K weight matrix as it is read: bf16, or Q8 (K int8 + K/32 fp32 scales per row).
  auto matrix = [](bool quantized, std::uint64_t rows, std::uint64_t K) {
    return rows * (quantized ? kernels::q8_row_bytes(K) : 2 * K);
  };
  // qkv and out weights, their bf16 biases, the sinks, the two norms' gains.
  const std::uint64_t attn = matrix(q8.attention, Q + 2 * KV, H) + matrix(q8.attention, H, Q) +
                             2 * ((Q + 2 * KV) + static_cast<std::uint64_t>(c.num_heads) + H + 2 * H);
  const std::uint64_t router = 2 * (E * H + E);
  // MXFP4: 16 bytes + 1 scale byte per 32 weights, plus bf16 biases.
  const std::uint64_t expert = (2 * I) * (H / 32) * 17 + 2 * (2 * I) + H * (I / 32) * 17 + 2 * H;
  const std::uint64_t per_layer = attn + router + k * expert;
  return static_cast<std::uint64_t>(c.num_layers) * per_layer + matrix(q8.unembedding, V, H) +
         matrix(q8.embedding, 1, H) + 2 * H;
}

}  // namespace ossa::engine
