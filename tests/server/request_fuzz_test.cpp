// The request mappers on mutated requests: whatever arrives, the answer is a parsed request or
// an ApiError with a 4xx status, never another exception or a crash (ASan/UBSan build).
// Deterministic (fixed seed) so it runs in CI; tests/fuzz has the libFuzzer target.
#include <gtest/gtest.h>

#include <random>

#include "runtime/server/chat_completions.hpp"
#include "runtime/server/responses_api.hpp"
#include "tests/server/builtin_namespaces.hpp"

namespace {
using namespace ossa::server;

const char* kSeeds[] = {
    R"({"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"hi"}]},
      {"role":"assistant","reasoning_content":"r","content":"c","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"a","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"array","items":{"type":"string"}}}}}}],
      "tool_choice":{"type":"function","function":{"name":"f"}},"stop":["a","b"],"temperature":0.2,"top_p":0.5,"seed":3,
      "max_tokens":9,"stream":true,"stream_options":{"include_usage":true},"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object"}}}})",
    R"({"model":"m","input":[{"role":"user","content":"hi"},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},
      {"type":"function_call_output","call_id":"c","output":"o"},{"type":"reasoning","content":[{"type":"reasoning_text","text":"t"}]},
      {"type":"code_interpreter_call","code":"1","outputs":[{"type":"logs","logs":"1"}]}],"instructions":"i",
      "tools":[{"type":"function","name":"f","parameters":{"type":"object"}},{"type":"code_interpreter"},{"type":"web_search"}],
      "reasoning":{"effort":"low"},"text":{"format":{"type":"json_schema","name":"n","schema":{"type":"object"}}},
      "max_output_tokens":5,"store":false,"stream":true,"previous_response_id":"resp_x","tool_choice":"required"})",
};

Json random_value(std::mt19937& rng) {
  switch (rng() % 9) {
    case 0: return nullptr;
    case 1: return static_cast<int>(rng() % 7) - 3;
    case 2: return -1e308;
    case 3: return "";
    case 4: return "low";
    case 5: return Json::array();
    case 6: return Json::object();
    case 7: return true;
    default: return std::string(rng() % 5, '\xff');
  }
}

// Replaces, removes or retypes one value somewhere in the tree.
void mutate(Json& j, std::mt19937& rng, int depth = 0) {
  if ((j.is_object() || j.is_array()) && !j.empty() && (rng() % 4 != 0 || depth == 0)) {
    std::size_t i = rng() % j.size();
    auto it = j.begin();
    std::advance(it, static_cast<long>(i));
    if (rng() % 6 == 0) {
      if (j.is_object()) j.erase(it.key());
      else j.erase(i);
      return;
    }
    mutate(*it, rng, depth + 1);
    return;
  }
  j = random_value(rng);
}

int classify(const std::string& text, bool chat) {
  MappingContext ctx;
  ctx.model_id = "m";
  static const ossa::harmony::ToolNamespaces builtins = ossa::test::builtin_namespaces();
  ctx.builtins["python"] = builtins.at("python");
  HistoryLookup lookup = [](const std::string&) -> std::optional<std::vector<ossa::harmony::Message>> {
    return std::vector<ossa::harmony::Message>{};
  };
  try {
    Json body = parse_body(text);
    if (chat) parse_chat_request(body, ctx);
    else parse_responses_request(body, ctx, lookup);
    return 200;
  } catch (const ApiError& e) {
    return e.status();
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what() << " for " << text;
    return 0;
  }
}

TEST(RequestFuzz, MutatedRequestsGiveARequestOrA4xx) {
  std::mt19937 rng(12345);
  int ok = 0, refused = 0;
  for (int round = 0; round < 4000; ++round) {
    bool chat = round % 2 == 0;
    Json j = Json::parse(kSeeds[chat ? 0 : 1]);
    int n = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < n; ++k) mutate(j, rng);
    std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (round % 5 == 0 && !text.empty()) text.resize(rng() % text.size());  // truncated bodies
    if (round % 7 == 0 && !text.empty()) text[rng() % text.size()] = static_cast<char>(rng());
    int status = classify(text, chat);
    ASSERT_TRUE(status == 200 || (status >= 400 && status < 500)) << status << " for " << text;
    (status == 200 ? ok : refused)++;
  }
  // Both outcomes occur: the mutations reach past the first check.
  EXPECT_GT(ok, 100);
  EXPECT_GT(refused, 100);
}

TEST(RequestFuzz, DeepNestingAndHugeNumbers) {
  std::string deep(100000, '[');
  EXPECT_EQ(classify(deep, true), 400);
  std::string nested = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_EQ(classify("{\"model\":\"m\",\"messages\":" + nested + "}", true), 400);
  EXPECT_EQ(classify(R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1e400})", true), 400);
  EXPECT_EQ(classify(R"({"model":"m","messages":[{"role":"user","content":"x"}],"seed":-1})", true), 200);
}

}  // namespace
