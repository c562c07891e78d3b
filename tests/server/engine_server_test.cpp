// The server on the real engine (a synthetic model over the harmony vocabulary): several
// clients at once are each answered from one loaded model, whose worker runs their chunks in
// shared batched steps. The other server tests use a scripted token source; this one is the
// path `ossa serve --model` takes.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "engine/model.hpp"
#include "engine/synth.hpp"
#include "runtime/server/engine_source_factory.hpp"
#include "runtime/server/http_server.hpp"
#include "tests/cli/server_process.hpp"

namespace {

using namespace ossa::server;

TEST(EngineServer, ConcurrentClientsAreAllAnsweredByOneModel) {
  const auto dir = std::filesystem::temp_directory_path() / ("ossa-engine-server-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ossa::engine::write_synthetic_checkpoint(ossa::engine::preset_config("tiny-harmony"), dir / "model", 3);
  auto model = ossa::engine::Model::load(dir / "model");
  EngineSourceFactory factory(model);
  ServerOptions o;
  o.port = 0;
  o.data_dir = dir / "data";
  o.tool_context.workspace = dir;
  o.slots = 4;
  o.mapping.model_id = "tiny";
  o.mapping.date = "2026-01-02";
  HttpServer server(o, factory, nullptr);
  std::thread serving([&] { server.run(false); });

  constexpr int kClients = 4, kMaxTokens = 24;
  std::vector<std::pair<int, std::string>> answers(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i)
    clients.emplace_back([&, i] {
      Json b{{"model", "tiny"},
             {"messages", Json::array({Json{{"role", "user"}, {"content", "client " + std::to_string(i)}}})},
             {"max_tokens", kMaxTokens},
             {"seed", i + 1}};
      answers[i] = ossa::test::http_request(server.port(), "POST", "/v1/chat/completions", b.dump());
    });
  for (auto& t : clients) t.join();

  int generated = 0;
  for (const auto& [status, body] : answers) {
    ASSERT_EQ(status, 200) << body;
    Json j = Json::parse(body);
    // Random weights write noise: whatever was recovered, the turn ends at the token limit or
    // a stop, with usage counted.
    const std::string finish = j["choices"][0]["finish_reason"];
    EXPECT_TRUE(finish == "length" || finish == "stop" || finish == "tool_calls") << finish;
    const int n = j["usage"]["completion_tokens"];
    EXPECT_GT(n, 0);
    EXPECT_LE(n, kMaxTokens);
    EXPECT_GT(j["usage"]["prompt_tokens"].get<int>(), 0);
    generated += n;
  }
  auto [mstatus, metrics] = ossa::test::http_request(server.port(), "GET", "/metrics");
  ASSERT_EQ(mstatus, 200);
  EXPECT_NE(metrics.find("ossa_generated_tokens_total " + std::to_string(generated)), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("ossa_running_sequences 0"), std::string::npos) << metrics;
  server.stop();
  serving.join();
  std::filesystem::remove_all(dir);
}

}  // namespace
