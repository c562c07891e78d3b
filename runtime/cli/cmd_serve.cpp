// `ossa serve`: the OpenAI-compatible HTTP API (Chat Completions, Responses, models, health,
// metrics) over the real engine. See runtime/server/README.md.
#include <filesystem>
#include <memory>

#include "engine/model.hpp"
#include "runtime/cli/command.hpp"
#include "runtime/cli/load_model.hpp"
#include "runtime/harmony/tokenizer.hpp"
#include "runtime/log.hpp"
#include "runtime/server/engine_source_factory.hpp"
#include "runtime/server/serve_command.hpp"

namespace {

ossa::cli::Run setup(CLI::App& cmd) {
  auto flags = std::make_shared<ossa::server::ServeFlags>();
  flags->add_to(cmd);
  cmd.footer(
      "Prints {\"listening\": URL, \"model\": ID} on stdout once it accepts connections; logs go "
      "to stderr. Binds 127.0.0.1 unless --host says otherwise; a non-loopback address needs "
      "--api-key (or OSSA_API_KEY) or --insecure-no-auth.");
  return [flags] {
    using namespace ossa;
    ossa::server::ServeSetup s = ossa::server::prepare_serve(*flags, "");
    s.config.model = cli::model_dir(s.config.model);
    if (s.options.mapping.model_id.empty())
      s.options.mapping.model_id =
          std::filesystem::path(s.config.model).lexically_normal().filename().string();
    if (s.options.mapping.model_id.empty()) s.options.mapping.model_id = "gpt-oss";
    engine::LoadOptions lo;
    lo.threads = static_cast<unsigned>(s.config.threads);
    lo.weights_q8 = engine::parse_weights_q8(s.config.weights_q8);  // validated with the config
    lo.map_weights = s.config.map_weights;
    std::shared_ptr<const engine::Model> model = engine::Model::load(s.config.model, lo);
    if (model->config().vocab_size < static_cast<int>(harmony::tokens::kModelVocabSize))
      throw cli::UsageError("the checkpoint in " + s.config.model + " has a vocabulary of " +
                            std::to_string(model->config().vocab_size) +
                            " tokens, smaller than harmony's: it cannot serve chats");
    log::info("model ", s.config.model, " loaded (", model->config().num_layers, " layers)");
    server::EngineSourceFactory factory(model);
    return server::serve(s, factory);
  };
}

}  // namespace

OSSA_CLI_COMMAND(serve, "Serve the OpenAI-compatible HTTP API (chat completions, responses)", setup);
