#include "runtime/harmony/typescript.hpp"

#include <vector>

#include "runtime/harmony/join.hpp"
#include "schemas/json_depth.hpp"

namespace ossa::harmony {
namespace {

const Json* get(const Json& node, const char* key) {
  if (!node.is_object()) return nullptr;
  auto it = node.find(key);
  return it == node.end() ? nullptr : &*it;
}

const std::string* get_string(const Json& node, const char* key) {
  const Json* v = get(node, key);
  return v && v->is_string() ? &v->get_ref<const std::string&>() : nullptr;
}

bool is_enum(const Json& node) {
  const Json* e = get(node, "enum");
  return e && e->is_array() && !e->empty();
}

bool nullable(const Json& node) {
  const Json* n = get(node, "nullable");
  return n && n->is_boolean() && n->get<bool>();
}

// "default: ..." as the reference writes it: a string default is quoted unless the schema is an
// enum; anything else is compact JSON.
std::string default_comment(const Json& node, const Json& def) {
  if (def.is_string()) {
    const auto& s = def.get_ref<const std::string&>();
    return is_enum(node) ? "default: " + s : "default: \"" + s + "\"";
  }
  return "default: " + def.dump();
}

// Appends " | null" to the type just written at out[from..] when the schema is nullable and
// the type does not say null already.
void with_null(std::string& out, std::size_t from, const Json& node) {
  if (nullable(node) && out.find("null", from) == std::string::npos) out += " | null";
}

void render(const Json& schema, const std::string& indent, std::string& out);


void render_object(const Json& schema, const std::string& indent, std::string& out) {
  if (const std::string* d = get_string(schema, "description")) out += indent + "// " + *d + "\n";
  out += "{\n";
  const Json* props = get(schema, "properties");
  if (props && props->is_object()) {
    std::vector<std::string> required;
    if (const Json* r = get(schema, "required"); r && r->is_array())
      for (const auto& x : *r)
        if (x.is_string()) required.push_back(x.get<std::string>());
    for (auto it = props->begin(); it != props->end(); ++it) {
      const std::string& key = it.key();
      const Json& val = it.value();
      const char* opt_mark =
          std::find(required.begin(), required.end(), key) != required.end() ? "" : "?";
      if (const std::string* t = get_string(val, "title"))
        out += indent + "// " + *t + "\n" + indent + "//\n";
      const Json* one_of = get(val, "oneOf");
      const std::string* desc = get_string(val, "description");
      if (!one_of && desc) out += indent + "// " + *desc + "\n";
      if (const Json* ex = get(val, "examples"); ex && ex->is_array() && !ex->empty()) {
        out += indent + "// Examples:\n";
        for (const auto& e : *ex)
          if (e.is_string()) out += indent + "// - \"" + e.get<std::string>() + "\"\n";
      }
      if (one_of && one_of->is_array()) {
        bool skip_desc = false;
        if (desc && !one_of->empty()) {
          const std::string* first = get_string((*one_of)[0], "description");
          skip_desc = first && *first == *desc;
        }
        const bool desc_above = desc && !skip_desc;
        if (desc_above) out += indent + "// " + *desc + "\n";
        if (const Json* def = get(val, "default")) out += indent + "// " + default_comment(val, *def) + "\n";
        out += indent + key + opt_mark + ":\n";
        for (size_t i = 0; i < one_of->size(); ++i) {
          const Json& variant = (*one_of)[i];
          out += indent + " | ";
          const std::size_t from = out.size();
          render(variant, indent + "   ", out);
          with_null(out, from, variant);
          std::vector<std::string> comments;
          if (!(i == 0 && desc_above)) {
            const std::string* vd = get_string(variant, "description");
            if (vd && !(desc && *vd == *desc)) comments.push_back(*vd);
          }
          if (const Json* def = get(variant, "default")) comments.push_back(default_comment(variant, *def));
          if (!comments.empty()) out += " // " + join(comments, " ");
          out += "\n";
        }
        out += indent + ",\n";
        continue;
      }
      out += indent + key + opt_mark + ": ";
      const std::size_t from = out.size();
      render(val, indent + "    ", out);
      with_null(out, from, val);
      out += ",";
      if (!one_of)
        if (const Json* def = get(val, "default")) out += " // " + default_comment(val, *def);
      out += "\n";
    }
  }
  out += indent + "}";
}

// Written into `out`, never returned and concatenated: a child's text is not copied once per
// level above it.
void render(const Json& schema, const std::string& indent, std::string& out) {
  if (const Json* one_of = get(schema, "oneOf"); one_of && one_of->is_array()) {
    for (const auto& variant : *one_of) {
      out += "\n" + indent + " | ";
      const std::size_t from = out.size();
      render(variant, indent + "   ", out);
      with_null(out, from, variant);
      std::vector<std::string> comments;
      if (const std::string* d = get_string(variant, "description")) comments.push_back(*d);
      if (const Json* def = get(variant, "default")) comments.push_back(default_comment(variant, *def));
      if (!comments.empty()) out += " // " + join(comments, " ");
    }
    return;
  }
  const Json* type = get(schema, "type");
  if (type && type->is_array()) {
    std::vector<std::string> names;
    for (const auto& t : *type)
      if (t.is_string()) names.push_back(t == "integer" ? "number" : t.get<std::string>());
    if (!names.empty()) {
      out += join(names, " | ");
      return;
    }
  }
  if (type && type->is_string()) {
    const std::string& t = type->get_ref<const std::string&>();
    if (t == "object") {
      render_object(schema, indent, out);
      return;
    }
    if (t == "string") {
      if (const Json* e = get(schema, "enum"); e && e->is_array()) {
        std::vector<std::string> values;
        for (const auto& v : *e)
          if (v.is_string()) values.push_back("\"" + v.get<std::string>() + "\"");
        if (!values.empty()) {
          out += join(values, " | ");
          return;
        }
      }
      out += "string";
      return;
    }
    if (t == "number" || t == "integer") {
      out += "number";
      return;
    }
    if (t == "boolean") {
      out += "boolean";
      return;
    }
    if (t == "array") {
      if (const Json* items = get(schema, "items")) {
        render(*items, indent, out);
        out += "[]";
        return;
      }
      out += "Array<any>";
      return;
    }
  }
  out += "any";
}

}  // namespace

Result<std::string> schema_to_typescript(const Json& schema, const std::string& indent) {
  // The walk below recurses once per level: bound it first (a hostile schema nested thousands
  // deep would overflow the stack).
  if (schemas::json_depth(schema) > schemas::kMaxJsonDepth)
    return Error{"the parameters schema nests deeper than " +
                 std::to_string(schemas::kMaxJsonDepth) + " levels"};
  std::string out;
  render(schema, indent, out);
  return out;
}

}  // namespace ossa::harmony
