// JSONata's parent operator `%` and the tuple streams that carry it
// (src/asl/jsonata_parser.cc resolves each `%` to the step whose input it
// reads; src/asl/jsonata.cc binds that input in the step's tuples), beyond
// the cases of the reference suite (tests/asl/jsonata_suite_test.cc).
// Expected values were checked against jsonata-js 2.x.

#include <gtest/gtest.h>

#include <string>

#include "stepd/asl/jsonata.h"

namespace stepd::asl {
namespace {

const Json& Data() {
  static const Json data = Json::parse(R"({"a": {"id": "A", "b": [
      {"id": "B1", "c": [{"v": 1}, {"v": 2}]},
      {"id": "B2", "c": [{"v": 3}]}]}})");
  return data;
}

// The result as JSON text, "undefined", or "error <code>".
std::string Eval(const std::string& expr, const Json& input = Data()) {
  auto compiled = Jsonata::Compile(expr);
  if (auto* e = std::get_if<JsonataError>(&compiled)) return "error " + e->code;
  JsonataResult r = std::get<Jsonata>(compiled).Evaluate(&input);
  if (r.error) return "error " + r.error->code;
  return r.value ? r.value->dump() : "undefined";
}

TEST(JsonataParent, ReadsTheInputOfTheStepItResolvesTo) {
  EXPECT_EQ(Eval("a.b.c.%.id"), R"(["B1","B1","B2"])");
  EXPECT_EQ(Eval("a.b.c.%.%.id"), R"(["A","A","A"])");
  EXPECT_EQ(Eval("a.b.c.v.%.%.id"), R"(["B1","B1","B2"])");
  EXPECT_EQ(Eval("a.b.*.%.id"), R"(["B1","B1","B1","B2","B2"])");
  EXPECT_EQ(Eval("a.b.c.{'v': v, 'b': %.id, 'a': %.%.id}"),
            R"([{"v":1,"b":"B1","a":"A"},{"v":2,"b":"B1","a":"A"},{"v":3,"b":"B2","a":"A"}])");
  EXPECT_EQ(Eval("a.b.c.($p := %; $p.id & '/' & %.%.id)"), R"(["B1/A","B1/A","B2/A"])");
}

TEST(JsonataParent, ResolvesThroughBlocksAndNestedPaths) {
  EXPECT_EQ(Eval("a.(b.c).%.id"), R"(["B1","B1","B2"])");
  EXPECT_EQ(Eval("(a.b).c.%.%.id"), R"(["A","A","A"])");
  EXPECT_EQ(Eval("a.b.(c.v).%.%.id"), R"(["B1","B1","B2"])");
  EXPECT_EQ(Eval("a.b.c.(%).id"), R"(["B1","B1","B2"])");
}

TEST(JsonataParent, InPredicatesSortsAndIndexes) {
  EXPECT_EQ(Eval("a.b.c[%.id='B2'].v"), "3");
  EXPECT_EQ(Eval("a.b.c.v[%.%.id='B1']"), "[1,2]");
  // Two predicates' `%`s on one step share its binding.
  EXPECT_EQ(Eval("a.b.c[%.id='B1'][%.%.id='A'].v"), "[1,2]");
  EXPECT_EQ(Eval("a.b[%.%.id]"), "undefined");  // the root has no id
  EXPECT_EQ(Eval("a.b.c^(>%.id, v).v"), "[3,1,2]");
  EXPECT_EQ(Eval("a.b.c#$i.{'i': $i, 'b': %.id}"),
            R"([{"i":0,"b":"B1"},{"i":1,"b":"B1"},{"i":0,"b":"B2"}])");
  EXPECT_EQ(Eval("a.b.c.{%.id: v}"), R"([{"B1":1},{"B1":2},{"B2":3}])");
}

TEST(JsonataParent, WithoutAStepToBeTheParentOfIsS0217) {
  for (const char* expr : {"%", "%.id", "$.%", "a.**.%", "a.b.$count(c).%", "a.%.%", "a.b.$.%"}) {
    EXPECT_EQ(Eval(expr), "error S0217") << expr;
  }
  auto compiled = Jsonata::Compile("a.b.($x).%");
  ASSERT_TRUE(std::holds_alternative<JsonataError>(compiled));
  EXPECT_EQ(std::get<JsonataError>(compiled).token, "variable");
  EXPECT_EQ(std::get<JsonataError>(compiled).position, 7);
}

TEST(JsonataIndexBinding, WithoutPredicatesCountsPerInputItem) {
  const Json data = Json::parse("[3, 1, 4, 1, 5, 9]");
  EXPECT_EQ(Eval("$#$pos[$pos<3]", data), "[3,1,4]");
  EXPECT_EQ(Eval("$.$#$pos.$pos", data), "[0,0,0,0,0,0]");  // one result per item
  EXPECT_EQ(Eval("$[$<5]#$pos[$pos>1]", data), "[4,1]");
  EXPECT_EQ(Eval("$#$pos[$pos<3][1][]", data), "[1]");
  EXPECT_EQ(Eval("$#$pos[][$pos<3]^($)[-1]", data), "[4]");
}

}  // namespace
}  // namespace stepd::asl
