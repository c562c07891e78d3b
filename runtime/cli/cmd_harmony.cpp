// `ossa harmony render|parse`: the harmony codec on the command line, for debugging prompts and
// model output.
//
//   ossa harmony render --api completion|conversation|training [--next-role R] [--auto-drop-analysis]
//       conversation JSON on stdin -> {"tokens":[...],"text":"..."}
//       --lines: one conversation per stdin line -> one {"tokens":[...]} line each (a training
//       set renders in one process; a line that fails gives {"error":"..."} and exit status 1)
//   ossa harmony parse [--role assistant] [--strict | --tolerant] [--no-eos]
//       JSON id array on stdin -> {"messages":[...],"error":null|"..."} (+ "errors" when tolerant)
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "runtime/cli/command.hpp"
#include "runtime/harmony/renderer.hpp"
#include "runtime/harmony/stream_parser.hpp"
#include "runtime/json_output.hpp"

namespace {
using namespace ossa::harmony;

std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& path) {
  if (path.empty()) return {std::shared_ptr<const Tokenizer>(), &Tokenizer::builtin()};
  auto r = Tokenizer::load_file(path);
  if (!r) throw std::runtime_error(r.error());
  return *r;
}

std::string read_stdin() { return std::string(std::istreambuf_iterator<char>(std::cin), {}); }

Role role_option(const std::string& name, const char* option) {
  auto r = parse_role(name);
  if (!r) throw ossa::cli::UsageError(std::string(option) + ": unknown role '" + name + "'");
  return *r;
}

struct Options {
  std::string tokenizer;
  // render
  std::string api = "completion";
  std::string next_role = "assistant";
  bool auto_drop = false;
  bool lines = false;
  // parse
  std::string role;
  bool strict = false;
  bool tolerant = false;
  bool no_eos = false;
};

Result<std::vector<TokenId>> render_one(const Options& o, const Renderer& renderer, Role next,
                                        const std::string& text) {
  auto json = Json::parse(text, nullptr, false);
  if (json.is_discarded()) return Error{"not valid JSON"};
  auto conv = conversation_from_json(json);
  if (!conv) return Error{"conversation: " + conv.error()};
  RenderConfig config{o.auto_drop};
  if (o.api == "completion") return renderer.render_for_completion(*conv, next, config);
  if (o.api == "conversation") return renderer.render_conversation(*conv, config);
  return renderer.render_for_training(*conv, config);
}

int render(const Options& o) {
  const Role next = role_option(o.next_role, "--next-role");
  auto tok = load_tokenizer(o.tokenizer);
  Renderer renderer(*tok);
  if (o.lines) {
    int rc = 0;
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto ids = render_one(o, renderer, next, line);
      if (ids) {
        ossa::out::print_json_line({{"tokens", *ids}});
      } else {
        ossa::out::print_json_line({{"error", ids.error()}});
        rc = 1;
      }
    }
    return rc;
  }
  auto ids = render_one(o, renderer, next, read_stdin());
  if (!ids) throw std::runtime_error("render: " + ids.error());
  ossa::out::print_json({{"tokens", *ids}, {"text", tok->decode_lossy(*ids)}});
  return 0;
}

int parse(const Options& o) {
  ParserOptions popt;
  if (!o.role.empty()) popt.initial_role = role_option(o.role, "--role");
  popt.mode = o.tolerant ? ParserMode::Tolerant : o.strict ? ParserMode::Strict : ParserMode::NonStrict;
  auto tok = load_tokenizer(o.tokenizer);
  auto ids = token_ids_from_json(read_stdin());
  if (!ids) throw std::runtime_error("stdin: " + ids.error());
  ParseResult r = parse_tokens(*tok, *ids, popt, !o.no_eos);
  nlohmann::json messages = nlohmann::json::array();
  for (const auto& m : r.messages) messages.push_back(nlohmann::json::parse(to_json(m).dump()));
  nlohmann::json out = {{"messages", messages},
                        {"error", r.error ? nlohmann::json(*r.error) : nlohmann::json(nullptr)}};
  if (o.tolerant) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& i : r.issues) errors.push_back({{"error", i.error}, {"raw_text", i.raw_text}});
    out["errors"] = errors;
  }
  ossa::out::print_json(out);
  if (r.error) {
    std::fprintf(stderr, "ossa: harmony parse: %s\n", r.error->c_str());
    return 1;
  }
  return 0;
}

ossa::cli::Run setup(CLI::App& cmd) {
  auto o = std::make_shared<Options>();
  cmd.require_subcommand(1);
  CLI::App* r = cmd.add_subcommand("render", "Conversation JSON on stdin -> {\"tokens\",\"text\"}");
  r->add_option("--api", o->api, "completion (prompt ending in <|start|>ROLE), conversation, training")
      ->check(CLI::IsMember({"completion", "conversation", "training"}));
  r->add_option("--next-role", o->next_role, "Role that continues (completion; default assistant)");
  r->add_flag("--auto-drop-analysis", o->auto_drop,
              "Drop analysis messages before the first final one once the last assistant message is final");
  r->add_flag("--lines", o->lines,
              "One conversation per stdin line, one {\"tokens\"} (or {\"error\"}) line out per conversation");
  r->add_option("--tokenizer", o->tokenizer, "Ranks file or tokenizer.json (default: built in)");
  r->footer(
      "Input (stdin): {\"messages\": [MESSAGE, ...]}, each MESSAGE\n"
      "  {\"role\": \"system\"|\"developer\"|\"user\"|\"assistant\"|\"tool\", \"name\": ..., "
      "\"recipient\": ..., \"channel\": ..., \"content_type\": ...,\n"
      "   \"content\": [{\"type\": \"text\", \"text\": \"...\"} | {\"type\": \"system_content\", "
      "\"model_identity\", \"reasoning_effort\", \"conversation_start_date\", \"knowledge_cutoff\", "
      "\"channel_config\", \"tools\"} | {\"type\": \"developer_content\", \"instructions\", \"tools\"}]}\n"
      "(the openai-harmony JSON; a string content is one text part). Example:\n"
      "  echo '{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]}]}' | "
      "ossa harmony render\n"
      "Output: {\"tokens\": [ids], \"text\": \"...\"}.");
  CLI::App* p = cmd.add_subcommand("parse", "JSON token id array on stdin -> {\"messages\",\"error\"}");
  p->add_option("--role", o->role, "Role whose header the prompt already opened (e.g. assistant)");
  auto* strict = p->add_flag("--strict", o->strict, "Reference parser, strict mode");
  auto* tolerant = p->add_flag("--tolerant", o->tolerant,
                               "Recovering parser: broken messages go to \"errors\", the rest is kept");
  strict->excludes(tolerant);
  p->add_flag("--no-eos", o->no_eos, "The input is not the end of the stream");
  p->add_option("--tokenizer", o->tokenizer, "Ranks file or tokenizer.json (default: built in)");
  return [o, r] { return r->parsed() ? render(*o) : parse(*o); };
}
}  // namespace

OSSA_CLI_COMMAND(harmony, "Harmony format: render a conversation to tokens, parse tokens to messages", setup);
