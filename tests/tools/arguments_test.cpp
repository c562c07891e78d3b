// parse_arguments: the JSON a model writes, with the documented repairs.
#include <gtest/gtest.h>

#include "tools/arguments.hpp"

using ossa::tools::parse_arguments;
using ossa::tools::unwrap_text_body;

TEST(Arguments, PlainObjectNeedsNoRepair) {
  auto r = parse_arguments(R"(  {"city": "Paris", "days": 3} )");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.value["city"], "Paris");
  EXPECT_TRUE(r.repair.empty());
}

TEST(Arguments, EmptyBodyIsEmptyObject) {
  auto r = parse_arguments("  \n");
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.value.is_object());
  EXPECT_TRUE(r.value.empty());
}

TEST(Arguments, DoubleEncodedStringIsDecoded) {
  auto r = parse_arguments(R"("{\"city\": \"Paris\"}")");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.value["city"], "Paris");
  EXPECT_EQ(r.repair, "double-encoded");
}

TEST(Arguments, OverEscapedQuotesAreUnescaped) {
  auto r = parse_arguments(R"({\"city\": \"Paris\", \"note\": \"a \\\"b\\\"\"})");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.value["city"], "Paris");
  EXPECT_EQ(r.value["note"], "a \"b\"");
  EXPECT_EQ(r.repair, "over-escaped");
}

TEST(Arguments, CodeFenceAndTrailingTextAreDropped) {
  auto r = parse_arguments("```json\n{\"a\": 1}\n```");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.value["a"], 1);
  EXPECT_EQ(r.repair, "code fence removed");
  auto t = parse_arguments(R"({"a": {"b": "}"}}} extra)");
  ASSERT_TRUE(t.ok) << t.error;
  EXPECT_EQ(t.value["a"]["b"], "}");
  EXPECT_EQ(t.repair, "trailing text dropped");
}

TEST(Arguments, GarbageAndNonObjectsAreErrorsNotExceptions) {
  auto r = parse_arguments("{\"a\": ");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("not valid JSON"), std::string::npos) << r.error;
  auto arr = parse_arguments("[1, 2]");
  EXPECT_FALSE(arr.ok);
  EXPECT_NE(arr.error.find("an array"), std::string::npos);
  EXPECT_FALSE(parse_arguments("\"just text\"").ok);
  EXPECT_FALSE(parse_arguments(std::string("\xff\xfe{", 3)).ok);
}

TEST(Arguments, TextBodiesAreUnwrappedOnlyWhenWrapped) {
  EXPECT_EQ(unwrap_text_body(R"j({"code": "print(1)"})j", {"code"}), "print(1)");
  EXPECT_EQ(unwrap_text_body(R"j("print(2)")j", {"code"}), "print(2)");
  EXPECT_EQ(unwrap_text_body(R"({"x": "y"})", {"code"}), R"({"x": "y"})");
  EXPECT_EQ(unwrap_text_body("print({'a': 1})", {"code"}), "print({'a': 1})");
}
