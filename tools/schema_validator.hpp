#pragma once
// JSON Schema validation (valijson, draft 7) with messages a model can act on:
//   argument `units`: expected one of "celsius", "fahrenheit"; got "kelvin"
//   missing required argument `location`
//   argument `days`: expected integer; got string "three"
// OpenAPI's `nullable: true` (which harmony's renderer honours) is accepted as allowing null.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ossa::tools {

class SchemaValidator {
 public:
  // Throws std::invalid_argument when `schema` is not a usable JSON Schema.
  explicit SchemaValidator(const nlohmann::ordered_json& schema);
  ~SchemaValidator();
  SchemaValidator(SchemaValidator&&) noexcept;
  SchemaValidator& operator=(SchemaValidator&&) noexcept;

  // Empty when `instance` is valid; otherwise one line per problem, most specific first,
  // without duplicates. `what` names the top-level thing in messages ("argument").
  std::vector<std::string> validate(const nlohmann::ordered_json& instance,
                                    const std::string& what = "argument") const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Fills in the `default` of each property missing from `object` (top level only).
void apply_defaults(const nlohmann::ordered_json& schema, nlohmann::ordered_json& object);

}  // namespace ossa::tools
