#include "engine/synth.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "kernels/cpu/bf16.hpp"

namespace ossa::engine {
namespace {

struct SplitMix {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1).
  float sym() { return static_cast<float>(static_cast<double>(next() >> 40) * 0x1.0p-23 - 1.0); }
};

enum class Fill { bf16_uniform, bf16_gain, u8_random, u8_scale };

struct Spec {
  std::string name;
  std::string dtype;  // "BF16" or "U8"
  std::vector<std::int64_t> shape;
  Fill fill;
  float param;  // std for bf16_uniform, exponent centre for u8_scale
  std::uint64_t bytes() const {
    std::uint64_t n = dtype == "BF16" ? 2 : 1;
    for (auto d : shape) n *= static_cast<std::uint64_t>(d);
    return n;
  }
};

// Scale byte so that uniformly random FP4 codes (RMS magnitude 2.93) have RMS ~ std.
float scale_centre(float std_dev) { return std::round(std::log2(std_dev / 2.93f)) + 127.0f; }

std::vector<Spec> tensor_specs(const ModelConfig& c) {
  const std::int64_t H = c.hidden_size, V = c.vocab_size, E = c.num_experts, I = c.intermediate_size,
                     Q = c.q_width(), KV = c.kv_width();
  const float sh = 1.0f / std::sqrt(static_cast<float>(H));
  std::vector<Spec> v;
  v.push_back({"embedding.weight", "BF16", {V, H}, Fill::bf16_uniform, 1.0f});
  for (int n = 0; n < c.num_layers; ++n) {
    const std::string p = "block." + std::to_string(n) + ".";
    v.push_back({p + "attn.norm.scale", "BF16", {H}, Fill::bf16_gain, 0});
    v.push_back({p + "attn.qkv.weight", "BF16", {Q + 2 * KV, H}, Fill::bf16_uniform, 1.3f * sh});
    v.push_back({p + "attn.qkv.bias", "BF16", {Q + 2 * KV}, Fill::bf16_uniform, 0.3f});
    v.push_back({p + "attn.sinks", "BF16", {c.num_heads}, Fill::bf16_uniform, 1.5f});
    v.push_back({p + "attn.out.weight", "BF16", {H, Q}, Fill::bf16_uniform, 0.6f / std::sqrt(static_cast<float>(Q))});
    v.push_back({p + "attn.out.bias", "BF16", {H}, Fill::bf16_uniform, 0.1f});
    v.push_back({p + "mlp.norm.scale", "BF16", {H}, Fill::bf16_gain, 0});
    v.push_back({p + "mlp.gate.weight", "BF16", {E, H}, Fill::bf16_uniform, 2.0f * sh});
    v.push_back({p + "mlp.gate.bias", "BF16", {E}, Fill::bf16_uniform, 0.5f});
    v.push_back({p + "mlp.mlp1_weight.blocks", "U8", {E, 2 * I, H / 32, 16}, Fill::u8_random, 0});
    v.push_back({p + "mlp.mlp1_weight.scales", "U8", {E, 2 * I, H / 32}, Fill::u8_scale, scale_centre(2.4f * sh)});
    v.push_back({p + "mlp.mlp1_bias", "BF16", {E, 2 * I}, Fill::bf16_uniform, 0.5f});
    v.push_back({p + "mlp.mlp2_weight.blocks", "U8", {E, H, I / 32, 16}, Fill::u8_random, 0});
    v.push_back({p + "mlp.mlp2_weight.scales", "U8", {E, H, I / 32}, Fill::u8_scale,
                 scale_centre(0.25f / std::sqrt(static_cast<float>(I)))});
    v.push_back({p + "mlp.mlp2_bias", "BF16", {E, H}, Fill::bf16_uniform, 0.1f});
  }
  v.push_back({"norm.scale", "BF16", {H}, Fill::bf16_gain, 0});
  v.push_back({"unembedding.weight", "BF16", {V, H}, Fill::bf16_uniform, 2.0f * sh});
  return v;
}

void fill(const Spec& s, SplitMix& rng, std::uint8_t* out, std::size_t n_bytes) {
  switch (s.fill) {
    case Fill::bf16_uniform:
    case Fill::bf16_gain: {
      auto* o = reinterpret_cast<std::uint16_t*>(out);
      const float a = s.param * std::sqrt(3.0f);  // uniform with this standard deviation
      for (std::size_t i = 0; i < n_bytes / 2; ++i) {
        float v = s.fill == Fill::bf16_gain ? 1.0f + 0.4f * rng.sym() : a * rng.sym();
        o[i] = kernels::f32_to_bf16(v);
      }
      break;
    }
    case Fill::u8_random:
      for (std::size_t i = 0; i < n_bytes; i += 8) {
        std::uint64_t r = rng.next();
        std::memcpy(out + i, &r, std::min<std::size_t>(8, n_bytes - i));
      }
      break;
    case Fill::u8_scale:
      for (std::size_t i = 0; i < n_bytes; ++i) {
        out[i] = static_cast<std::uint8_t>(static_cast<int>(s.param) - 1 + static_cast<int>(rng.next() % 3));
      }
      break;
  }
}

// FNV-1a: a per-tensor stream that does not depend on the standard library's hash.
std::uint64_t name_hash(const std::string& name) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : name) h = (h ^ ch) * 0x100000001b3ull;
  return h;
}

void write_all(std::FILE* f, const void* data, std::size_t n, const std::filesystem::path& path) {
  if (n && std::fwrite(data, 1, n, f) != n) {
    throw std::runtime_error(path.string() + ": write failed: " + std::strerror(errno));
  }
}
}  // namespace

ModelConfig preset_config(const std::string& name) {
  ModelConfig c;
  c.num_layers = 24;
  c.num_experts = 32;
  c.experts_per_token = 4;
  c.vocab_size = 201088;
  c.hidden_size = 2880;
  c.intermediate_size = 2880;
  c.head_dim = 64;
  c.num_heads = 64;
  c.num_kv_heads = 8;
  c.sliding_window = 128;
  c.rope_scaling_factor = 32.0f;
  if (name == "120b") {
    c.num_layers = 36;
    c.num_experts = 128;
  } else if (name == "tiny" || name == "tiny-harmony") {
    c.num_layers = 4;
    c.num_experts = 8;
    c.vocab_size = 1024;
    c.hidden_size = 64;
    c.intermediate_size = 96;
    c.head_dim = 16;
    c.num_heads = 8;
    c.num_kv_heads = 2;
    c.sliding_window = 8;
    // tiny-harmony: the same small model over the full o200k_harmony vocabulary, so the agent
    // runtime (which needs harmony's special tokens) can run on it end to end.
    if (name == "tiny-harmony") c.vocab_size = 201088;
  } else if (name != "20b") {
    throw std::invalid_argument("unknown preset '" + name + "' (tiny, tiny-harmony, 20b, 120b)");
  }
  c.sliding.assign(static_cast<std::size_t>(c.num_layers), false);
  for (int i = 0; i < c.num_layers; i += 2) c.sliding[static_cast<std::size_t>(i)] = true;
  return c;
}

std::uint64_t write_synthetic_checkpoint(const ModelConfig& c, const std::filesystem::path& dir,
                                         std::uint64_t seed) {
  std::filesystem::create_directories(dir);
  nlohmann::ordered_json cfg = {
      {"num_hidden_layers", c.num_layers}, {"num_experts", c.num_experts},
      {"experts_per_token", c.experts_per_token}, {"vocab_size", c.vocab_size},
      {"hidden_size", c.hidden_size}, {"intermediate_size", c.intermediate_size},
      {"swiglu_limit", c.swiglu_limit}, {"head_dim", c.head_dim},
      {"num_attention_heads", c.num_heads}, {"num_key_value_heads", c.num_kv_heads},
      {"sliding_window", c.sliding_window}, {"initial_context_length", c.initial_context_length},
      {"rope_theta", c.rope_theta}, {"rope_scaling_factor", c.rope_scaling_factor},
      {"rope_ntk_alpha", c.rope_ntk_alpha}, {"rope_ntk_beta", c.rope_ntk_beta}};
  {
    std::ofstream out(dir / "config.json");
    out << cfg.dump(2) << "\n";
    if (!out) throw std::runtime_error((dir / "config.json").string() + ": write failed");
  }

  const auto specs = tensor_specs(c);
  nlohmann::ordered_json header;
  header["__metadata__"] = {{"format", "pt"}, {"generator", "ossa model synth"}};
  std::uint64_t offset = 0;
  for (const auto& s : specs) {
    header[s.name] = {{"dtype", s.dtype}, {"shape", s.shape}, {"data_offsets", {offset, offset + s.bytes()}}};
    offset += s.bytes();
  }
  std::string h = header.dump();
  while (h.size() % 8) h.push_back(' ');

  const auto path = dir / "model.safetensors";
  const auto tmp = dir / "model.safetensors.partial";
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(tmp.c_str(), "wb"), &std::fclose);
  if (!f) throw std::runtime_error(tmp.string() + ": cannot create: " + std::strerror(errno));
  std::uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(h.size()) >> (8 * i));
  write_all(f.get(), len, 8, tmp);
  write_all(f.get(), h.data(), h.size(), tmp);
  std::vector<std::uint8_t> buf(4u << 20);
  for (const auto& s : specs) {
    SplitMix rng{seed ^ name_hash(s.name)};
    for (std::uint64_t done = 0; done < s.bytes();) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), s.bytes() - done));
      fill(s, rng, buf.data(), n);
      write_all(f.get(), buf.data(), n, tmp);
      done += n;
    }
  }
  if (std::fflush(f.get()) != 0) throw std::runtime_error(tmp.string() + ": write failed: " + std::strerror(errno));
  f.reset();
  std::filesystem::rename(tmp, path);
  return 8 + h.size() + offset;
}

}  // namespace ossa::engine
