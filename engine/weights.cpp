#include "engine/weights.hpp"

#include <sys/mman.h>
#include <unistd.h>

namespace ossa::engine {
namespace {
using Shape = std::vector<std::int64_t>;

const std::uint16_t* bf16(const Checkpoint& ck, const std::string& name, const Shape& shape) {
  return reinterpret_cast<const std::uint16_t*>(ck.require(name, DType::bf16, shape).data);
}
const std::uint8_t* u8(const Checkpoint& ck, const std::string& name, const Shape& shape) {
  return ck.require(name, DType::u8, shape).data;
}
}  // namespace

void drop_mapped_pages(ModelWeights& w, const void* p, std::size_t bytes) {
  static const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t lo = (a + page - 1) / page * page, hi = (a + bytes) / page * page;
  if (hi > lo) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
  w.released.emplace_back(static_cast<const std::uint8_t*>(p), bytes);
}

ModelWeights bind_weights(const Checkpoint& ck) {
  const ModelConfig& c = ck.config();
  const std::int64_t H = c.hidden_size, V = c.vocab_size, E = c.num_experts,
                     I = c.intermediate_size, Q = c.q_width(), KV = c.kv_width(),
                     Hq = c.num_heads;
  ModelWeights w;
  const bool hf = ck.layout() == Layout::huggingface;
  w.embedding = bf16(ck, hf ? "model.embed_tokens.weight" : "embedding.weight", {V, H});
  w.final_norm = bf16(ck, hf ? "model.norm.weight" : "norm.scale", {H});
  w.unembedding = bf16(ck, hf ? "lm_head.weight" : "unembedding.weight", {V, H});
  for (int n = 0; n < c.num_layers; ++n) {
    LayerWeights l;
    if (!hf) {
      const std::string p = "block." + std::to_string(n) + ".";
      l.attn_norm = bf16(ck, p + "attn.norm.scale", {H});
      const std::uint16_t* qkv = bf16(ck, p + "attn.qkv.weight", {Q + 2 * KV, H});
      const std::uint16_t* qkv_b = bf16(ck, p + "attn.qkv.bias", {Q + 2 * KV});
      l.q_w = qkv;
      l.k_w = qkv + Q * H;
      l.v_w = qkv + (Q + KV) * H;
      l.q_b = qkv_b;
      l.k_b = qkv_b + Q;
      l.v_b = qkv_b + Q + KV;
      l.sinks = bf16(ck, p + "attn.sinks", {Hq});
      l.out_w = bf16(ck, p + "attn.out.weight", {H, Q});
      l.out_b = bf16(ck, p + "attn.out.bias", {H});
      l.mlp_norm = bf16(ck, p + "mlp.norm.scale", {H});
      l.gate_w = bf16(ck, p + "mlp.gate.weight", {E, H});
      l.gate_b = bf16(ck, p + "mlp.gate.bias", {E});
      l.mlp1 = {u8(ck, p + "mlp.mlp1_weight.blocks", {E, 2 * I, H / 32, 16}),
                u8(ck, p + "mlp.mlp1_weight.scales", {E, 2 * I, H / 32}),
                bf16(ck, p + "mlp.mlp1_bias", {E, 2 * I})};
      l.mlp2 = {u8(ck, p + "mlp.mlp2_weight.blocks", {E, H, I / 32, 16}),
                u8(ck, p + "mlp.mlp2_weight.scales", {E, H, I / 32}),
                bf16(ck, p + "mlp.mlp2_bias", {E, H})};
    } else {
      const std::string p = "model.layers." + std::to_string(n) + ".";
      l.attn_norm = bf16(ck, p + "input_layernorm.weight", {H});
      l.q_w = bf16(ck, p + "self_attn.q_proj.weight", {Q, H});
      l.k_w = bf16(ck, p + "self_attn.k_proj.weight", {KV, H});
      l.v_w = bf16(ck, p + "self_attn.v_proj.weight", {KV, H});
      l.q_b = bf16(ck, p + "self_attn.q_proj.bias", {Q});
      l.k_b = bf16(ck, p + "self_attn.k_proj.bias", {KV});
      l.v_b = bf16(ck, p + "self_attn.v_proj.bias", {KV});
      l.sinks = bf16(ck, p + "self_attn.sinks", {Hq});
      l.out_w = bf16(ck, p + "self_attn.o_proj.weight", {H, Q});
      l.out_b = bf16(ck, p + "self_attn.o_proj.bias", {H});
      l.mlp_norm = bf16(ck, p + "post_attention_layernorm.weight", {H});
      l.gate_w = bf16(ck, p + "mlp.router.weight", {E, H});
      l.gate_b = bf16(ck, p + "mlp.router.bias", {E});
      l.mlp1 = {u8(ck, p + "mlp.experts.gate_up_proj_blocks", {E, 2 * I, H / 32, 16}),
                u8(ck, p + "mlp.experts.gate_up_proj_scales", {E, 2 * I, H / 32}),
                bf16(ck, p + "mlp.experts.gate_up_proj_bias", {E, 2 * I})};
      l.mlp2 = {u8(ck, p + "mlp.experts.down_proj_blocks", {E, H, I / 32, 16}),
                u8(ck, p + "mlp.experts.down_proj_scales", {E, H, I / 32}),
                bf16(ck, p + "mlp.experts.down_proj_bias", {E, H})};
    }
    w.layers.push_back(l);
  }
  return w;
}

}  // namespace ossa::engine
