#include "runtime/server/generation_request.hpp"

#include <cmath>
#include <random>

namespace ossa::server {

harmony::Conversation assemble(const ConversationParts& parts, const MappingContext& ctx) {
  harmony::Conversation conv;
  harmony::SystemContent sys = harmony::SystemContent::defaults();
  sys.reasoning_effort = parts.effort;
  if (!ctx.date.empty()) sys.conversation_start_date = ctx.date;
  for (const std::string& ns : parts.builtins) {
    auto it = ctx.builtins.find(ns);
    if (it != ctx.builtins.end()) sys.tools[ns] = it->second;
  }
  conv.messages.push_back(harmony::Message::system(std::move(sys)));

  harmony::DeveloperContent dev;
  std::string instructions = parts.instructions;
  if (!parts.response_format.empty())
    instructions += (instructions.empty() ? "" : "\n\n") + parts.response_format;
  if (!instructions.empty()) dev.instructions = instructions;
  if (!parts.functions.empty()) {
    harmony::ToolNamespace ns;
    ns.name = "functions";
    ns.tools = parts.functions;
    dev.tools["functions"] = std::move(ns);
  }
  if (dev.instructions || !dev.tools.empty())
    conv.messages.push_back(harmony::Message::developer(std::move(dev)));
  for (const auto& m : parts.messages) conv.messages.push_back(m);
  return conv;
}

std::string function_name(const std::string& recipient) {
  std::string r = recipient;
  auto b = r.find_first_not_of(" \t\r\n");
  r = b == std::string::npos ? std::string() : r.substr(b);
  r = r.substr(0, r.find_first_of(" \t\r\n<"));
  if (r.rfind("functions.", 0) == 0) r = r.substr(10);
  return r;
}

bool is_call(const std::optional<std::string>& recipient) {
  if (!recipient) return false;
  std::string r = function_name(*recipient);
  return !r.empty() && r != "all" && r != "user" && r != "assistant";
}

std::string recipient_namespace(const std::string& recipient) {
  std::string r = function_name(recipient);
  if (recipient.find("functions.") != std::string::npos) return "functions";
  return r.substr(0, r.find('.'));
}

harmony::ReasoningEffort parse_effort(const Json& v, const std::string& param) {
  if (!v.is_string()) throw bad_field(param, param + " must be one of low, medium, high");
  std::string s = v.get<std::string>();
  if (s == "low" || s == "minimal") return harmony::ReasoningEffort::Low;
  if (s == "medium") return harmony::ReasoningEffort::Medium;
  if (s == "high") return harmony::ReasoningEffort::High;
  throw bad_field(param, param + " must be one of low, medium, high (got '" + s + "')");
}

harmony::ToolDescription function_tool(const Json& name, const Json& description,
                                       const Json& parameters, const std::string& param) {
  if (!name.is_string() || name.get<std::string>().empty())
    throw bad_field(param + ".name", "a function tool needs a non-empty string name");
  harmony::ToolDescription d;
  d.name = name.get<std::string>();
  for (char c : d.name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
      throw bad_field(param + ".name",
                      "function names may hold letters, digits, '_' and '-' only (got '" +
                          d.name + "')");
  if (!description.is_null()) {
    if (!description.is_string()) throw bad_field(param + ".description", "must be a string");
    d.description = description.get<std::string>();
  }
  if (!parameters.is_null()) {
    if (!parameters.is_object())
      throw bad_field(param + ".parameters", "parameters must be a JSON Schema object");
    d.parameters = parameters;
  }
  return d;
}

std::string response_format_text(const Json& format, const std::string& param) {
  if (format.is_null()) return {};
  if (!format.is_object() || !format.contains("type") || !format["type"].is_string())
    throw bad_field(param, "must be an object with a type");
  std::string type = format["type"].get<std::string>();
  if (type == "text") return {};
  if (type == "json_object")
    return "# Response Formats\n\nAnswer with one JSON object and nothing else.";
  if (type == "json_schema") {
    // Chat Completions nests the schema under json_schema; Responses puts it on the format.
    const Json& spec = format.contains("json_schema") ? format["json_schema"] : format;
    if (!spec.is_object() || !spec.contains("schema") || !spec["schema"].is_object())
      throw bad_field(param, "json_schema needs a schema object");
    const Json& name_json = spec.contains("name") ? spec["name"] : Json();
    if (!name_json.is_null() && !name_json.is_string())
      throw bad_field(param, "the response format's name must be a string");
    std::string name = name_json.is_string() ? name_json.get<std::string>() : "response";
    std::string out = "# Response Formats\n\n## " + name + "\n\n";
    if (spec.contains("description") && spec["description"].is_string())
      out += "// " + spec["description"].get<std::string>() + "\n";
    out += spec["schema"].dump();
    return out;
  }
  throw bad_field(param, "unsupported response format type '" + type + "'");
}

namespace {
double number_in(const Json& body, const char* key, double lo, double hi, double def) {
  if (!body.contains(key) || body[key].is_null()) return def;
  const Json& v = body[key];
  if (!v.is_number()) throw bad_field(key, std::string(key) + " must be a number");
  double d = v.get<double>();
  if (!std::isfinite(d) || d < lo || d > hi)
    throw bad_field(key, std::string(key) + " must be between " + std::to_string(lo) + " and " +
                             std::to_string(hi));
  return d;
}
}  // namespace

SamplingOptions parse_sampling(const Json& body, const MappingContext& ctx) {
  SamplingOptions s;
  s.temperature = number_in(body, "temperature", 0, 2, ctx.default_temperature);
  s.top_p = number_in(body, "top_p", 0, 1, 1.0);
  if (body.contains("seed") && !body["seed"].is_null()) {
    const Json& v = body["seed"];
    if (!v.is_number_integer()) throw bad_field("seed", "seed must be an integer");
    s.seed = v.is_number_unsigned() ? v.get<std::uint64_t>()
                                    : static_cast<std::uint64_t>(v.get<std::int64_t>());
  }
  return s;
}

int parse_max_tokens(const Json& body, const MappingContext& ctx,
                     std::initializer_list<const char*> names) {
  for (const char* key : names) {
    if (!body.contains(key) || body[key].is_null()) continue;
    const Json& v = body[key];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 1)
      throw bad_field(key, std::string(key) + " must be a positive integer");
    std::int64_t n = v.get<std::int64_t>();
    return static_cast<int>(std::min<std::int64_t>(n, ctx.max_tokens_limit));
  }
  return ctx.max_tokens_limit;
}

const Json& field(const Json& obj, const char* key) {
  static const Json null_json;
  if (!obj.is_object()) return null_json;
  auto it = obj.find(key);
  return it == obj.end() ? null_json : *it;
}

std::string string_field(const Json& obj, const char* key) {
  const Json& v = field(obj, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

void check_model(const Json& body, const MappingContext& ctx) {
  const Json& model = field(body, "model");
  if (!model.is_string()) throw bad_field("model", "model is required (a string)");
  if (model.get<std::string>() != ctx.model_id)
    throw ApiError(404,
                   "The model '" + model.get<std::string>() + "' does not exist; this server has '" +
                       ctx.model_id + "'",
                   "invalid_request_error", "model", "model_not_found");
}

Json parse_body(std::string_view body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded())
    throw ApiError(400, "the request body is not valid JSON", "invalid_request_error",
                   std::nullopt, "invalid_json");
  if (!j.is_object()) throw ApiError(400, "the request body must be a JSON object");
  return j;
}

std::string make_id(const std::string& prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += digits[rng() % 62];
  return id;
}

}  // namespace ossa::server
