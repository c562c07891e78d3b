#pragma once
// The checkpoint of a command that takes --model: the one given, else the default the agent
// commands use ($OSSA_MODEL, then the demo model next to the binary; runtime/default_model.hpp).
// Loading it for the engine commands (logits, generate, bench) says so when --threads asked for
// more than the usable cores (the engine caps it), and which device runs it. Those commands share
// --weights-q8 through add_weights_q8_option (run, chat and serve take it with the other
// configuration flags) and --device through add_device_option.
#include <filesystem>
#include <memory>
#include <string>

#include "engine/model.hpp"
#include "runtime/cli/command.hpp"
#include "runtime/default_model.hpp"
#include "runtime/log.hpp"

namespace ossa::cli {

// `given` when it is not empty, else the default model; a UsageError naming the ways to give
// one when there is none.
inline std::string model_dir(const std::string& given) {
  if (!given.empty()) return given;
  runtime::Config c;
  const bool demo = !runtime::choose_default_model(c).empty();
  if (c.model.empty())
    throw UsageError("no model: pass --model DIR or set OSSA_MODEL to a checkpoint folder "
                     "(`ossa model list` shows the ones found)");
  log::info("model ", c.model, demo ? " (the demo model)" : " (from $OSSA_MODEL)");
  return c.model;
}

// `--weights-q8 LIST` into `slot`; weights_q8(slot) checks it when the command runs.
inline void add_weights_q8_option(CLI::App& cmd, std::string& slot) {
  cmd.add_option("--weights-q8", slot,
                 "Run these products in 8 bits, comma-separated: attention, embedding, unembedding (bf16 "
                 "weights quantized at load), experts (int8 activations against the MXFP4 weights), all "
                 "(default: none)");
}

// The groups of a --weights-q8 value; a UsageError (exit 2) naming the valid ones.
inline engine::WeightsQ8 weights_q8(const std::string& list) {
  try {
    return engine::parse_weights_q8(list);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--weights-q8: ") + e.what());
  }
}

// `--device auto|cpu|cuda[:N]` into `slot`; device(slot) checks it when the command runs.
inline void add_device_option(CLI::App& cmd, std::string& slot) {
  cmd.add_option("--device", slot,
                 "Where the model runs: auto (CUDA when this ossa has it and a device with enough memory "
                 "exists, else the CPU), cpu, cuda, cuda:N (default: auto)");
}

// The device of a --device value (empty: auto); a UsageError (exit 2) naming the valid forms.
inline engine::Device device(const std::string& text) {
  try {
    return engine::parse_device(text.empty() ? "auto" : text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--device: ") + e.what());
  }
}

// Loads the model; says on stderr which device runs it unless the CPU was asked for.
inline std::shared_ptr<const engine::Model> load_model(const std::filesystem::path& dir, unsigned threads,
                                                       std::uint64_t kv_memory_bytes = 0,
                                                       const engine::WeightsQ8& weights_q8 = {},
                                                       const engine::Device& device = {},
                                                       bool map_weights = false) {
  auto model = engine::Model::load(dir, {threads, kv_memory_bytes, weights_q8, device, map_weights});
  if (device.kind != engine::Device::Kind::cpu) log::info("device: ", model->device_note());
  if (threads > model->threads())
    log::warn("--threads ", threads, " is more than the ", model->threads(),
              " usable cores; using ", model->threads());
  return model;
}

}  // namespace ossa::cli
