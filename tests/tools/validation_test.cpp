// Schema validation with model-readable messages, for every JSON Schema feature the harmony
// renderer shows the model: types, enums, required/optional, nested objects, arrays and their
// items, type unions, oneOf, nullable, defaults, plus bounds and additionalProperties.
#include <gtest/gtest.h>

#include "tools/schema_validator.hpp"

using ossa::tools::SchemaValidator;
using Json = nlohmann::ordered_json;

namespace {
std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += e + "\n";
  return s;
}
const Json kWeather = Json::parse(R"({
  "type": "object",
  "properties": {
    "location": {"type": "string", "description": "City"},
    "units": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
    "days": {"type": "integer", "minimum": 1, "maximum": 14},
    "hourly": {"type": "boolean"},
    "ratio": {"type": "number"},
    "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "maxItems": 3},
    "where": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
              "required": ["lat", "lon"]},
    "id": {"type": ["number", "string"]},
    "when": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    "note": {"type": "string", "nullable": true}
  },
  "required": ["location"],
  "additionalProperties": false
})");
}  // namespace

TEST(Validation, ValidCallsPass) {
  SchemaValidator v(kWeather);
  EXPECT_TRUE(v.validate(Json{{"location", "Paris"}}).empty());
  auto full = Json::parse(R"({"location":"Paris","units":"fahrenheit","days":3,"hourly":true,
    "ratio":0.5,"tags":["a","b"],"where":{"lat":1.5,"lon":2},"id":"x","when":5,"note":null})");
  EXPECT_TRUE(v.validate(full).empty()) << joined(v.validate(full));
  EXPECT_TRUE(v.validate(Json{{"location", "P"}, {"id", 7}, {"days", 2.0}}).empty());
}

TEST(Validation, EnumErrorListsChoices) {
  SchemaValidator v(kWeather);
  auto e = v.validate(Json{{"location", "Paris"}, {"units", "kelvin"}});
  ASSERT_EQ(e.size(), 1u) << joined(e);
  EXPECT_EQ(e[0], R"(argument `units`: expected one of "celsius", "fahrenheit"; got string "kelvin")");
}

TEST(Validation, MissingRequiredAndUnknownArguments) {
  SchemaValidator v(kWeather);
  auto e = v.validate(Json{{"city", "Paris"}});
  std::string all = joined(e);
  EXPECT_NE(all.find("missing required argument `location`"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown argument `city`"), std::string::npos) << all;
}

TEST(Validation, TypeErrorsNameExpectedAndGot) {
  SchemaValidator v(kWeather);
  EXPECT_EQ(joined(v.validate(Json{{"location", 3}})),
            "argument `location`: expected string; got 3\n");
  EXPECT_EQ(joined(v.validate(Json{{"location", "x"}, {"days", "three"}})),
            "argument `days`: expected integer; got string \"three\"\n");
  EXPECT_EQ(joined(v.validate(Json{{"location", "x"}, {"days", 1.5}})),
            "argument `days`: expected integer; got 1.5\n");
  EXPECT_EQ(joined(v.validate(Json{{"location", "x"}, {"hourly", "yes"}})),
            "argument `hourly`: expected boolean; got string \"yes\"\n");
  EXPECT_EQ(joined(v.validate(Json{{"location", "x"}, {"id", true}})),
            "argument `id`: expected number or string; got true\n");
  EXPECT_EQ(joined(v.validate(Json{{"location", "x"}, {"ratio", "1"}})),
            "argument `ratio`: expected number; got string \"1\"\n");
}

TEST(Validation, NestedObjectsArraysBoundsOneOfNullable) {
  SchemaValidator v(kWeather);
  EXPECT_EQ(joined(v.validate(Json::parse(R"({"location":"x","where":{"lat":1}})"))),
            "missing required argument `where.lon`\n");
  EXPECT_EQ(joined(v.validate(Json::parse(R"({"location":"x","tags":["a","z"]})"))),
            "argument `tags[1]`: expected one of \"a\", \"b\"; got string \"z\"\n");
  EXPECT_NE(joined(v.validate(Json::parse(R"({"location":"x","tags":["a","a","a","a"]})")))
                .find("at most 3 items"), std::string::npos);
  EXPECT_EQ(joined(v.validate(Json{{"location", "x"}, {"days", 30}})),
            "argument `days`: must be <= 14; got 30\n");
  EXPECT_NE(joined(v.validate(Json{{"location", "x"}, {"when", 1.5}})).find("matches none"),
            std::string::npos);
  EXPECT_EQ(joined(v.validate(Json{{"location", "x"}, {"note", 5}})),
            "argument `note`: expected string; got 5\n");
  EXPECT_NE(joined(v.validate(Json::array())).find("expected object"), std::string::npos);
}

TEST(Validation, DefaultsFillMissingTopLevelProperties) {
  Json args{{"location", "Paris"}};
  ossa::tools::apply_defaults(kWeather, args);
  EXPECT_EQ(args["units"], "celsius");
  EXPECT_FALSE(args.contains("days"));
}

TEST(Validation, FeaturesOutsideOurExplainerFallBackToValijson) {
  SchemaValidator v(Json::parse(R"({"type":"object","properties":{"code":{"type":"string","pattern":"^[A-Z]+$"}}})"));
  auto e = v.validate(Json{{"code", "abc"}});
  ASSERT_FALSE(e.empty());
  EXPECT_NE(e[0].find("`code`"), std::string::npos) << e[0];
}

TEST(Validation, UnusableSchemaThrowsInvalidArgument) {
  EXPECT_THROW(SchemaValidator(Json("not a schema")), std::invalid_argument);
  EXPECT_THROW(SchemaValidator(Json::parse(R"({"type":"object","properties":{"a":{"$ref":"#/nope"}}})")),
               std::invalid_argument);
}
