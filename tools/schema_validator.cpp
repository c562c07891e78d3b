#include "tools/schema_validator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace ossa::tools {
namespace {

using json = nlohmann::ordered_json;

// `nullable: true` is OpenAPI, not JSON Schema; harmony renders it as `| null`, so the model
// may send null. Rewrite it into JSON Schema's own spelling before valijson sees it.
nlohmann::json rewrite_nullable(const json& schema) {
  if (schema.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : schema) out.push_back(rewrite_nullable(s));
    return out;
  }
  if (!schema.is_object()) return nlohmann::json(schema);
  nlohmann::json out = nlohmann::json::object();
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    if (it.key() == "nullable") continue;
    // Values under these keys are data, not schemas.
    if (it.key() == "enum" || it.key() == "const" || it.key() == "default" ||
        it.key() == "examples" || it.key() == "required") {
      out[it.key()] = nlohmann::json(it.value());
    } else {
      out[it.key()] = rewrite_nullable(it.value());
    }
  }
  if (schema.value("nullable", false) == true) {
    if (out.contains("type")) {
      nlohmann::json types =
          out["type"].is_array() ? out["type"] : nlohmann::json::array({out["type"]});
      if (std::find(types.begin(), types.end(), "null") == types.end()) types.push_back("null");
      out["type"] = types;
    }
    if (out.contains("enum") && out["enum"].is_array()) out["enum"].push_back(nullptr);
  }
  return out;
}

std::string describe(const json& v) {
  std::string s = v.dump();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  if (v.is_string()) return "string " + s;
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  return s;  // numbers, booleans, null speak for themselves
}

bool has_type(const json& v, const std::string& t) {
  if (t == "string") return v.is_string();
  if (t == "number") return v.is_number();
  if (t == "integer") {
    if (v.is_number_integer()) return true;
    if (v.is_number_float()) {
      double d = v.get<double>();
      return std::isfinite(d) && std::floor(d) == d;
    }
    return false;
  }
  if (t == "boolean") return v.is_boolean();
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "null") return v.is_null();
  return true;  // unknown type names are not ours to enforce
}

std::string join_path(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string fmt_number(const json& v) { return v.dump(); }

// Our own walk over the schema features the harmony renderer shows the model, producing the
// messages; valijson decides validity (and covers whatever this walk does not know).
class Explainer {
 public:
  explicit Explainer(std::string what) : what_(std::move(what)) {}

  void check(const json& schema, const json& v, const std::string& path,
             std::vector<std::string>& out) const {
    if (!schema.is_object()) return;
    if (v.is_null() && schema.value("nullable", false) == true) return;
    if (schema.contains("type")) {
      std::vector<std::string> types;
      if (schema["type"].is_string()) types.push_back(schema["type"].get<std::string>());
      if (schema["type"].is_array())
        for (const auto& t : schema["type"])
          if (t.is_string()) types.push_back(t.get<std::string>());
      if (!types.empty() &&
          std::none_of(types.begin(), types.end(), [&](const auto& t) { return has_type(v, t); })) {
        std::string expected;
        for (std::size_t i = 0; i < types.size(); ++i)
          expected += (i ? (i + 1 == types.size() ? " or " : ", ") : "") + types[i];
        out.push_back(label(path) + "expected " + expected + "; got " + describe(v));
        return;
      }
    }
    if (schema.contains("enum") && schema["enum"].is_array()) {
      const json& e = schema["enum"];
      if (std::find(e.begin(), e.end(), v) == e.end()) {
        std::string list;
        for (std::size_t i = 0; i < e.size(); ++i) list += (i ? ", " : "") + e[i].dump();
        out.push_back(label(path) + "expected one of " + list + "; got " + describe(v));
        return;
      }
    }
    if (schema.contains("const") && schema["const"] != v) {
      out.push_back(label(path) + "expected " + schema["const"].dump() + "; got " + describe(v));
      return;
    }
    for (const char* key : {"oneOf", "anyOf"}) {
      if (!schema.contains(key) || !schema[key].is_array()) continue;
      std::size_t matching = 0;
      std::vector<std::string> first_errors;
      for (const auto& alt : schema[key]) {
        std::vector<std::string> errs;
        check(alt, v, path, errs);
        if (errs.empty()) ++matching;
        else if (first_errors.empty()) first_errors = errs;
      }
      // Reported, then the checks below still run: an object failing a top-level oneOf
      // usually has plainer problems (a missing field) worth naming too.
      if (matching == 0) {
        std::string msg = label(path) + "matches none of the allowed forms";
        if (!first_errors.empty()) msg += " (first form: " + first_errors.front() + ")";
        out.push_back(msg);
      } else if (std::string(key) == "oneOf" && matching > 1) {
        out.push_back(label(path) + "matches more than one of the allowed forms");
      }
    }
    if (v.is_string()) check_string(schema, v.get<std::string>(), path, out);
    if (v.is_number()) check_number(schema, v, path, out);
    if (v.is_object()) check_object(schema, v, path, out);
    if (v.is_array()) check_array(schema, v, path, out);
  }

 private:
  std::string label(const std::string& path) const {
    return path.empty() ? "arguments: " : what_ + " `" + path + "`: ";
  }

  void check_string(const json& s, const std::string& v, const std::string& path,
                    std::vector<std::string>& out) const {
    if (s.contains("pattern") && s["pattern"].is_string()) {
      try {
        if (!std::regex_search(v, std::regex(s["pattern"].get<std::string>(), std::regex::ECMAScript)))
          out.push_back(label(path) + "does not match the pattern `" + s["pattern"].get<std::string>() +
                        "`; got " + describe(json(v)));
      } catch (const std::regex_error&) {
        // An unsupported pattern: valijson's verdict stands on its own.
      }
    }
    if (s.contains("minLength") && s["minLength"].is_number() &&
        utf8_length(v) < s["minLength"].get<std::size_t>())
      out.push_back(label(path) + "must be at least " + s["minLength"].dump() + " characters long");
    if (s.contains("maxLength") && s["maxLength"].is_number() &&
        utf8_length(v) > s["maxLength"].get<std::size_t>())
      out.push_back(label(path) + "must be at most " + s["maxLength"].dump() + " characters long");
  }

  void check_number(const json& s, const json& v, const std::string& path,
                    std::vector<std::string>& out) const {
    double d = v.get<double>();
    auto num = [&](const char* k) { return s.contains(k) && s[k].is_number(); };
    if (num("minimum") && d < s["minimum"].get<double>())
      out.push_back(label(path) + "must be >= " + fmt_number(s["minimum"]) + "; got " + v.dump());
    if (num("maximum") && d > s["maximum"].get<double>())
      out.push_back(label(path) + "must be <= " + fmt_number(s["maximum"]) + "; got " + v.dump());
    if (num("exclusiveMinimum") && d <= s["exclusiveMinimum"].get<double>())
      out.push_back(label(path) + "must be > " + fmt_number(s["exclusiveMinimum"]) + "; got " +
                    v.dump());
    if (num("exclusiveMaximum") && d >= s["exclusiveMaximum"].get<double>())
      out.push_back(label(path) + "must be < " + fmt_number(s["exclusiveMaximum"]) + "; got " +
                    v.dump());
  }

  void check_object(const json& s, const json& v, const std::string& path,
                    std::vector<std::string>& out) const {
    const json* props = s.contains("properties") && s["properties"].is_object()
                            ? &s["properties"] : nullptr;
    if (s.contains("required") && s["required"].is_array())
      for (const auto& r : s["required"])
        if (r.is_string() && !v.contains(r.get<std::string>()))
          out.push_back("missing required " + what_ + " `" +
                        join_path(path, r.get<std::string>()) + "`");
    if (props)
      for (auto it = props->begin(); it != props->end(); ++it)
        if (v.contains(it.key())) check(it.value(), v[it.key()], join_path(path, it.key()), out);
    if (s.contains("additionalProperties")) {
      const json& ap = s["additionalProperties"];
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (props && props->contains(it.key())) continue;
        if (ap.is_boolean() && !ap.get<bool>()) {
          std::string known;
          if (props)
            for (auto p = props->begin(); p != props->end(); ++p)
              known += (known.empty() ? "" : ", ") + p.key();
          out.push_back("unknown " + what_ + " `" + join_path(path, it.key()) + "`" +
                        (known.empty() ? std::string(" (none are accepted)")
                                       : " (accepted: " + known + ")"));
        } else if (ap.is_object()) {
          check(ap, it.value(), join_path(path, it.key()), out);
        }
      }
    }
  }

  void check_array(const json& s, const json& v, const std::string& path,
                   std::vector<std::string>& out) const {
    if (s.contains("minItems") && s["minItems"].is_number() &&
        v.size() < s["minItems"].get<std::size_t>())
      out.push_back(label(path) + "needs at least " + s["minItems"].dump() + " items; got " +
                    std::to_string(v.size()));
    if (s.contains("maxItems") && s["maxItems"].is_number() &&
        v.size() > s["maxItems"].get<std::size_t>())
      out.push_back(label(path) + "allows at most " + s["maxItems"].dump() + " items; got " +
                    std::to_string(v.size()));
    if (s.contains("items") && s["items"].is_object())
      for (std::size_t i = 0; i < v.size(); ++i)
        check(s["items"], v[i], path + "[" + std::to_string(i) + "]", out);
  }

  std::string what_;
};

// valijson with strong types rejects 2.0 for an integer; JSON does not distinguish them and
// models write both.
nlohmann::json integral_floats_as_integers(const json& v) {
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15)
      return nlohmann::json(static_cast<std::int64_t>(d));
    return nlohmann::json(d);
  }
  if (v.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : v) out.push_back(integral_floats_as_integers(e));
    return out;
  }
  if (v.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = v.begin(); it != v.end(); ++it) out[it.key()] = integral_floats_as_integers(it.value());
    return out;
  }
  return nlohmann::json(v);
}

std::string valijson_path(const std::vector<std::string>& context) {
  std::string path;
  for (const auto& c : context) {
    if (c == "<root>") continue;
    std::string part = c;
    if (part.size() >= 2 && part.front() == '[' && part.back() == ']')
      part = part.substr(1, part.size() - 2);
    path = join_path(path, part);
  }
  return path;
}

}  // namespace

struct SchemaValidator::Impl {
  json schema;  // as given (the explainer reads nullable itself)
  nlohmann::json rewritten;
  valijson::Schema compiled;
};

SchemaValidator::SchemaValidator(const json& schema) : impl_(std::make_unique<Impl>()) {
  if (!schema.is_object() && !schema.is_boolean())
    throw std::invalid_argument("a JSON Schema must be an object");
  impl_->schema = schema;
  impl_->rewritten = rewrite_nullable(schema);
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(impl_->rewritten);
    parser.populateSchema(adapter, impl_->compiled);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("invalid JSON Schema: ") + e.what());
  }
}

SchemaValidator::~SchemaValidator() = default;
SchemaValidator::SchemaValidator(SchemaValidator&&) noexcept = default;
SchemaValidator& SchemaValidator::operator=(SchemaValidator&&) noexcept = default;

std::vector<std::string> SchemaValidator::validate(const json& instance,
                                                   const std::string& what) const {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  const nlohmann::json plain = integral_floats_as_integers(instance);
  valijson::adapters::NlohmannJsonAdapter target(plain);
  bool ok = false;
  try {
    ok = validator.validate(impl_->compiled, target, &results);
  } catch (const std::exception& e) {
    return {std::string("the arguments could not be validated: ") + e.what()};
  }
  if (ok) return {};
  std::vector<std::string> messages;
  Explainer(what).check(impl_->schema, instance, "", messages);
  if (messages.empty()) {
    // A feature our walk does not explain (pattern, dependencies...): valijson's words, with
    // the path in our notation. Its leaf errors come first; wrapper errors repeat them.
    valijson::ValidationResults::Error err;
    while (results.popError(err)) {
      std::string path = valijson_path(err.context);
      messages.push_back((path.empty() ? "arguments: " : what + " `" + path + "`: ") +
                         err.description);
    }
  }
  std::vector<std::string> unique;
  std::set<std::string> seen;
  for (auto& m : messages)
    if (seen.insert(m).second) unique.push_back(std::move(m));
  return unique;
}

void apply_defaults(const json& schema, json& object) {
  if (!object.is_object() || !schema.is_object() || !schema.contains("properties")) return;
  const json& props = schema["properties"];
  if (!props.is_object()) return;
  for (auto it = props.begin(); it != props.end(); ++it)
    if (!object.contains(it.key()) && it.value().is_object() && it.value().contains("default"))
      object[it.key()] = it.value()["default"];
}

}  // namespace ossa::tools
