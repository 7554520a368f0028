#include "stepd/asl/jsonata.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace stepd::asl {
namespace {

Jsonata MustCompile(std::string_view text) {
  auto r = Jsonata::Compile(text);
  EXPECT_TRUE(std::holds_alternative<Jsonata>(r)) << std::get<JsonataError>(r).message;
  return std::get<Jsonata>(std::move(r));
}

class Vars final : public JsonataVariables {
 public:
  explicit Vars(Json values) : values_(std::move(values)) {}
  const Json* Find(std::string_view name) const override {
    ++finds;
    ++asked[std::string(name)];
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &*it;
  }
  mutable int finds = 0;
  mutable std::map<std::string, int> asked;

 private:
  Json values_;
};

TEST(Jsonata, PreparedInputGivesTheSameResultsAsJsonInputAndStaysUnchanged) {
  const Json doc = Json::parse(R"({"orders":[{"id":1,"items":[{"p":2,"q":3}]},
      {"id":2,"items":[{"p":5,"q":1},{"p":1,"q":1}]}],"tags":["b","a"]})");
  const JsonataInput prepared(doc);
  for (const char* text :
       {"orders.items.(p * q)", "$sum(orders.items.(p * q))", "$sort(tags)", "tags",
        "orders[id=2].items[0]", "$append(tags, 'c')", "orders ~> | items | {'seen': true} |",
        "$merge(orders.items)", "$", "orders#$i.{'i': $i, 'id': id}", "$reverse(tags)"}) {
    Jsonata e = MustCompile(text);
    for (int round = 0; round < 2; ++round) {  // a second evaluation sees the same data
      JsonataResult a = e.Evaluate(prepared);
      JsonataResult b = e.Evaluate(&doc);
      ASSERT_TRUE(a.ok() && b.ok()) << text;
      EXPECT_EQ(a.value, b.value) << text;
    }
  }
}

TEST(Jsonata, VariablesAreAskedOnceAndMissingOnesStayUndefined) {
  Vars vars(Json{{"x", 2}});
  Jsonata e = MustCompile("$x + $x + ($exists($nope) ? 100 : 0) + ($exists($nope) ? 100 : 0)");
  JsonataResult r = e.Evaluate(nullptr, vars, {}, {}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r.value, 4);
  // Each name once, built-in function names too: variables shadow them.
  EXPECT_EQ(vars.asked, (std::map<std::string, int>{{"exists", 1}, {"nope", 1}, {"x", 1}}));
}

TEST(Jsonata, VariableCacheCarriesConvertedValuesToTheNextEvaluation) {
  Vars vars(Json{{"list", {3, 1, 2}}});
  JsonataVariableCache cache;
  const std::map<std::string, Json> bindings;
  const std::map<std::string, JsonataFunction> functions;
  Jsonata sort = MustCompile("$sort($list)");
  Jsonata same = MustCompile("$list");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(*sort.Evaluate(nullptr, vars, bindings, functions, {}, &cache).value,
              Json::parse("[1,2,3]"));
    EXPECT_EQ(*same.Evaluate(nullptr, vars, bindings, functions, {}, &cache).value,
              Json::parse("[3,1,2]"));
  }
  EXPECT_EQ(vars.asked, (std::map<std::string, int>{{"list", 1}, {"sort", 1}}));
}

TEST(Jsonata, ExtraFunctionsShadowBuiltinsButNotBindings) {
  std::map<std::string, JsonataFunction> functions = {
      {"double", {"<n:n>", [](const std::vector<std::optional<Json>>& a) {
                    JsonataResult r;
                    r.value = a[0]->get<double>() * 2;
                    return r;
                  }}}};
  Jsonata e = MustCompile("$double(21)");
  EXPECT_EQ(*e.Evaluate(nullptr, {}, functions).value, 42);
  JsonataResult bad = MustCompile("$double('x')").Evaluate(nullptr, {}, functions);
  ASSERT_TRUE(bad.error.has_value());
  EXPECT_EQ(bad.error->code, "T0410");
}

std::string Repeat(std::string_view piece, int n) {
  std::string out;
  out.reserve(piece.size() * n);
  for (int i = 0; i < n; ++i) out += piece;
  return out;
}

// Untrusted text nested far deeper than any real expression: each shape fails
// to compile with U1001 instead of overflowing the stack of the parser.
TEST(Jsonata, ExpressionsNestedTooDeeplyFailToCompileWithU1001) {
  const int n = 20'000;
  const std::vector<std::string> texts = {
      Repeat("(", n) + "1" + Repeat(")", n),                   // parentheses
      Repeat("[", n) + Repeat("]", n),                         // arrays
      Repeat("{'a':", n) + "1" + Repeat("}", n),               // objects
      Repeat("$string(", n) + "1" + Repeat(")", n),            // calls
      Repeat("-", n) + "1",                                    // unary minus
      "1" + Repeat(" + 1", n),                                 // a chain of operators
      "a" + Repeat(".a", n),                                   // a long path
      Repeat("true ? ", n) + "1" + Repeat(" : 2", n),          // conditions
      Repeat("function($x){", n) + "1" + Repeat("}", n),       // lambdas
      "x" + Repeat("[0]", n),                                  // predicates
  };
  for (const std::string& text : texts) {
    auto r = Jsonata::Compile(text);
    ASSERT_TRUE(std::holds_alternative<JsonataError>(r)) << text.substr(0, 40);
    const JsonataError& e = std::get<JsonataError>(r);
    EXPECT_EQ(e.code, "U1001") << text.substr(0, 40);
    EXPECT_NE(e.message.find("nested too deeply"), std::string::npos) << e.message;
  }
}

TEST(Jsonata, ExpressionsNestedHundredsDeepStillCompileAndEvaluate) {
  const int n = 200;
  EXPECT_EQ(*MustCompile(Repeat("(", n) + "1" + Repeat(")", n)).Evaluate(nullptr).value, 1);
  EXPECT_EQ(*MustCompile("1" + Repeat(" + 1", n)).Evaluate(nullptr).value, n + 1);
  Json nested = Json::parse(Repeat("[", n) + Repeat("]", n));
  EXPECT_EQ(*MustCompile(Repeat("[", n) + Repeat("]", n)).Evaluate(nullptr).value, nested);
}

// Values can nest deeper than any expression: JSON input, or a loop such as
// $reduce wrapping its accumulator once per item. Walking them (to JSON, to a
// string, comparing, cloning) fails with U1001 and destroying them does not
// recurse.
TEST(Jsonata, ValuesNestedTooDeeplyFailWithU1001AndAreFreedWithoutRecursion) {
  const int n = 100'000;
  const Json deep = Json::parse(Repeat("[", n) + Repeat("]", n));
  for (const char* text : {"$", "$string($)", "$ = $", "$clone($)", "$count(**)", "$keys($)"}) {
    JsonataResult r = MustCompile(text).Evaluate(&deep);
    ASSERT_TRUE(r.error.has_value()) << text;
    EXPECT_EQ(r.error->code, "U1001") << text;
  }
  Jsonata wrap = MustCompile("$reduce([1..100000], function($acc, $v) { {'a': $acc} }, {})");
  JsonataResult built = wrap.Evaluate(nullptr);
  ASSERT_TRUE(built.error.has_value());
  EXPECT_EQ(built.error->code, "U1001");
  // The same nesting kept inside the evaluation, then dropped: no result to
  // convert, but the 100,000-deep value is destroyed.
  Jsonata dropped =
      MustCompile("$count([$reduce([1..100000], function($acc, $v) { {'a': $acc} }, {})])");
  JsonataResult r = dropped.Evaluate(nullptr);
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(*r.value, 1);
}

// Found by the fuzzer: grouping a tuple stream that holds no tuples (the
// path matched nothing) read the missing tuple as an object. It groups like
// the same path without the binding.
TEST(Jsonata, GroupingAnEmptyTupleStreamIsLikeGroupingAnEmptySequence) {
  const Json input = Json::parse(R"({"a":[]})");
  for (const Json* doc : {static_cast<const Json*>(nullptr), &input}) {
    JsonataResult with_binding = MustCompile(R"(a#$i{"k":1})").Evaluate(doc);
    JsonataResult without = MustCompile(R"(a{"k":1})").Evaluate(doc);
    ASSERT_FALSE(with_binding.error) << with_binding.error->message;
    ASSERT_FALSE(without.error) << without.error->message;
    EXPECT_EQ(with_binding.value, without.value);
  }
  JsonataResult steps = MustCompile(R"(items#$i.{"a":1}{"b":2})").Evaluate(nullptr);
  EXPECT_FALSE(steps.error);
}

// Found by the fuzzer: a range may make 10,000,000 items, and converting
// them took seconds and a gigabyte. A result past max_result_bytes fails
// with U1006 before it is converted; below the bound nothing changes.
TEST(Jsonata, AResultPastMaxResultBytesFailsWithU1006BeforeItIsConverted) {
  JsonataOptions options;
  options.max_result_bytes = 1 << 20;
  static const std::map<std::string, Json> kNone;
  for (const char* text : {"[1..10000000]", "[1..200000].{'k': $}",
                           "$join([1..300000].$string(), ',')"}) {
    JsonataResult r = MustCompile(text).Evaluate(nullptr, kNone, {}, options);
    ASSERT_TRUE(r.error) << text;
    EXPECT_EQ(r.error->code, "U1006") << text;
    EXPECT_EQ(r.error->message, "The result is larger than 1048576 bytes as JSON");
  }
  JsonataResult small = MustCompile("[1..1000]").Evaluate(nullptr, kNone, {}, options);
  ASSERT_FALSE(small.error);
  EXPECT_EQ(small.value->size(), 1000u);
  // Exactly at the bound passes; a byte over fails.
  options.max_result_bytes = 7;  // "abcde" with its quotes
  EXPECT_FALSE(MustCompile("'abcde'").Evaluate(nullptr, kNone, {}, options).error);
  EXPECT_TRUE(MustCompile("'abcdef'").Evaluate(nullptr, kNone, {}, options).error);
}

// Found by the fuzzer: after a first step that is an array constructor with
// a predicate, the next step read a lone value as a sequence (a SEGV, and
// undefined behaviour with a binding). jsonata-js 2.2 steps over no items
// there and answers undefined (checked with node), except where it fails
// with a TypeError ("input.map is not a function": the .b#$i and .b@$x
// forms) or drops the predicate ([{"b":5},{"b":6}][0]#$i.b is [5,6]): stepd
// answers undefined for all of them.
TEST(Jsonata, AStepAfterAnIndexedArrayConstructorStepsOverNothingAsInJsonataJs) {
  const Json input = Json::parse(R"({"a":{"b":1}})");
  for (const char* text :
       {"[1][0].b", R"([{"b":5}][0].b)", R"([{"b":5},{"b":6}][0].b)", R"([{"b":5}][0].(b))",
        "[1][0]^($).b", R"([{"b":5}][0].b#$i)", R"([{"b":5}][0].b@$x)",
        R"([{"b":5},{"b":6}][0]#$i.b)"}) {
    JsonataResult r = MustCompile(text).Evaluate(&input);
    EXPECT_FALSE(r.error) << text << ": " << r.error->message;
    EXPECT_FALSE(r.value) << text << ": " << r.value->dump();
  }
  JsonataResult nested = MustCompile("[[1,2]][0].$").Evaluate(&input);
  ASSERT_TRUE(nested.value);
  EXPECT_EQ(*nested.value, Json::parse("[1,2]"));
  JsonataResult bound = MustCompile(R"([{"b":5},{"b":6}]#$i.{"b":b})").Evaluate(&input);
  ASSERT_TRUE(bound.value);
  EXPECT_EQ(*bound.value, Json::parse(R"([{"b":5},{"b":6}])"));
}

}  // namespace
}  // namespace stepd::asl
