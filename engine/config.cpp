#include "engine/config.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "engine/checkpoint.hpp"

namespace ossa::engine {

std::size_t ModelConfig::context_length() const {
  double f = rope_scaling_factor > 1.0f ? rope_scaling_factor : 1.0f;
  return static_cast<std::size_t>(std::llround(initial_context_length * f));
}

namespace {
struct Reader {
  const nlohmann::json& j;
  const std::filesystem::path& file;

  [[noreturn]] void fail(const std::string& what) const {
    throw CheckpointError(file.string() + ": " + what);
  }
  const nlohmann::json& at(const nlohmann::json& obj, const char* key) const {
    auto it = obj.find(key);
    if (it == obj.end()) fail(std::string("missing key '") + key + "'");
    return *it;
  }
  int integer(const nlohmann::json& obj, const char* key, int lo = 1) const {
    const auto& v = at(obj, key);
    if (!v.is_number_integer() && !(v.is_number_float() && std::floor(v.get<double>()) == v.get<double>())) {
      fail(std::string("key '") + key + "' must be an integer");
    }
    double d = v.get<double>();
    if (d < lo || d > 1e9) fail(std::string("key '") + key + "' out of range");
    return static_cast<int>(d);
  }
  float number(const nlohmann::json& obj, const char* key) const {
    const auto& v = at(obj, key);
    if (!v.is_number()) fail(std::string("key '") + key + "' must be a number");
    double d = v.get<double>();
    if (!std::isfinite(d)) fail(std::string("key '") + key + "' must be finite");
    return static_cast<float>(d);
  }
};

void check(const ModelConfig& c, const Reader& r) {
  if (c.hidden_size % 32 != 0) r.fail("hidden_size must be a multiple of 32 (MXFP4 groups)");
  if (c.intermediate_size % 32 != 0) r.fail("intermediate_size must be a multiple of 32");
  if (c.head_dim % 2 != 0) r.fail("head_dim must be even (RoPE halves)");
  if (c.num_heads % c.num_kv_heads != 0) r.fail("num_attention_heads must be a multiple of num_key_value_heads");
  if (c.experts_per_token > c.num_experts) r.fail("experts_per_token exceeds the number of experts");
  if (c.rope_theta <= 1.0f || c.rope_scaling_factor <= 0.0f) r.fail("bad RoPE parameters");
}
}  // namespace

ModelConfig parse_config(const std::string& json_text, const std::filesystem::path& file,
                         Layout& layout_out) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const std::exception& e) {
    throw CheckpointError(file.string() + ": not valid JSON: " + e.what());
  }
  Reader r{j, file};
  if (!j.is_object()) r.fail("not a JSON object");
  ModelConfig c;
  const bool hf = j.contains("num_local_experts");
  if (!hf && !j.contains("num_experts")) {
    r.fail("unknown checkpoint layout: config has neither 'num_experts' (OpenAI original/) "
           "nor 'num_local_experts' (Hugging Face)");
  }
  layout_out = hf ? Layout::huggingface : Layout::original;
  c.num_layers = r.integer(j, "num_hidden_layers");
  c.vocab_size = r.integer(j, "vocab_size");
  c.hidden_size = r.integer(j, "hidden_size");
  c.intermediate_size = r.integer(j, "intermediate_size");
  c.head_dim = r.integer(j, "head_dim");
  c.num_heads = r.integer(j, "num_attention_heads");
  c.num_kv_heads = r.integer(j, "num_key_value_heads");
  c.sliding_window = r.integer(j, "sliding_window");
  c.swiglu_limit = r.number(j, "swiglu_limit");
  c.rope_theta = r.number(j, "rope_theta");
  c.sliding.assign(static_cast<std::size_t>(c.num_layers), false);
  if (!hf) {
    c.num_experts = r.integer(j, "num_experts");
    c.experts_per_token = r.integer(j, "experts_per_token");
    c.initial_context_length = r.integer(j, "initial_context_length");
    c.rope_scaling_factor = r.number(j, "rope_scaling_factor");
    c.rope_ntk_alpha = r.number(j, "rope_ntk_alpha");
    c.rope_ntk_beta = r.number(j, "rope_ntk_beta");
    for (int i = 0; i < c.num_layers; i += 2) c.sliding[static_cast<std::size_t>(i)] = true;
  } else {
    c.num_experts = r.integer(j, "num_local_experts");
    c.experts_per_token = r.integer(j, j.contains("num_experts_per_tok") ? "num_experts_per_tok"
                                                                           : "experts_per_token");
    if (j.contains("rms_norm_eps")) c.rms_norm_eps = r.number(j, "rms_norm_eps");
    auto rs = j.find("rope_scaling");
    if (rs != j.end() && rs->is_object()) {
      auto type = rs->find("rope_type");
      if (type != rs->end() && (!type->is_string() || type->get<std::string>() != "yarn")) {
        r.fail("rope_scaling.rope_type must be 'yarn'");
      }
      c.rope_scaling_factor = r.number(*rs, "factor");
      c.rope_ntk_beta = r.number(*rs, "beta_fast");
      c.rope_ntk_alpha = r.number(*rs, "beta_slow");
      c.initial_context_length = r.integer(*rs, "original_max_position_embeddings");
    } else if (rs != j.end() && !rs->is_null()) {
      r.fail("rope_scaling must be an object");
    } else {
      c.rope_scaling_factor = 1.0f;
      if (j.contains("initial_context_length")) c.initial_context_length = r.integer(j, "initial_context_length");
    }
    auto lt = j.find("layer_types");
    if (lt != j.end()) {
      if (!lt->is_array() || lt->size() != static_cast<std::size_t>(c.num_layers)) {
        r.fail("layer_types must list one entry per layer");
      }
      for (std::size_t i = 0; i < lt->size(); ++i) {
        const auto& t = (*lt)[i];
        if (t == "sliding_attention") c.sliding[i] = true;
        else if (t != "full_attention") r.fail("layer_types[" + std::to_string(i) + "] unknown");
      }
    } else {
      for (int i = 0; i < c.num_layers; i += 2) c.sliding[static_cast<std::size_t>(i)] = true;
    }
  }
  check(c, r);
  return c;
}

}  // namespace ossa::engine
