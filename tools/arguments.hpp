#pragma once
// Parsing the JSON arguments a model wrote, with the repairs gpt-oss needs.
//
// gpt-oss (like other harmony models) sometimes writes its arguments one escaping level too
// deep, or wrapped. parse_arguments() tries, in order, and records which step succeeded:
//   1. the body as written (surrounding whitespace ignored); an empty body is `{}`;
//   2. a Markdown code fence around it (```json ... ```) removed;
//   3. a JSON *string* whose content is a JSON object (`"{\"city\":\"Paris\"}"`): decoded
//      once more ("double-encoded");
//   4. an object written with escaped quotes and no outer quotes (`{\"city\": \"Paris\"}`):
//      one level of backslash escaping removed ("over-escaped");
//   5. a complete object followed by stray text (`{"a":1}}` or `{"a":1} <|call|>`): the
//      first complete object kept ("trailing text dropped").
// The result is always an object; anything else is an error the model can read.
#include <nlohmann/json.hpp>
#include <initializer_list>
#include <string>
#include <string_view>

namespace ossa::tools {

struct ParsedArguments {
  bool ok = false;
  nlohmann::ordered_json value;  // the arguments object when ok
  std::string repair;    // empty, or which repair made it parse (see above)
  std::string error;     // model-readable reason when !ok
};

ParsedArguments parse_arguments(std::string_view body);

// For tools whose body is raw text (python, apply_patch): models sometimes wrap it as JSON
// anyway. A JSON string, or an object whose only member is a string under one of `keys`
// ("code", "input", ...), is unwrapped; anything else is returned as written.
std::string unwrap_text_body(std::string_view body, std::initializer_list<std::string_view> keys);

}  // namespace ossa::tools
