// `ossa serve` over a scripted model (RuleTokenSource) for the end-to-end client tests: the
// same flags and server as the production command, plus --script FILE, a JSON array of
// {"when": text, "reply": harmony text, "context": text} rules, and --per-token-us to pace the tokens.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "runtime/cli/command.hpp"
#include "runtime/server/serve_command.hpp"
#include "tests/server/rule_token_source.hpp"

int main(int argc, char** argv) {
  CLI::App app("ossa test server: the HTTP API over a scripted model");
  ossa::server::ServeFlags flags;
  flags.add_to(app);
  std::string script;
  long per_token_us = 0;
  app.add_option("--script", script, "JSON rules file")->required();
  app.add_option("--per-token-us", per_token_us, "Delay per generated token (microseconds)");
  CLI11_PARSE(app, argc, argv);
  try {
    std::ifstream f(script);
    std::stringstream ss;
    ss << f.rdbuf();
    auto rules_json = nlohmann::json::parse(ss.str());
    std::vector<ossa::test::Rule> rules;
    for (const auto& r : rules_json)
      rules.push_back({r.value("when", ""), r.at("reply"), r.value("context", "")});
    ossa::server::ServeSetup s = ossa::server::prepare_serve(flags, "ossa-test");
    ossa::test::RuleSourceFactory factory(rules, std::chrono::microseconds(per_token_us));
    return ossa::server::serve(s, factory);
  } catch (const ossa::cli::UsageError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
