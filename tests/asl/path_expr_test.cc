#include "stepd/asl/path_expr.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace stepd::asl {
namespace {

class MapVariables final : public VariableLookup {
 public:
  explicit MapVariables(std::map<std::string, Json, std::less<>> values) : values_(std::move(values)) {}
  const Json* Find(std::string_view name) const override {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, Json, std::less<>> values_;
};

struct Fixture {
  Json input = Json::parse(R"({"a": {"b": [10, 20]}, "s": "in"})");
  Json context = Json::parse(R"({"Execution": {"Id": "arn:x", "Input": {"k": 1}}, "State": {"Name": "S"}})");
  MapVariables variables{{{"x", Json::parse(R"({"list": [1, 2, 3], "name": "v"})")},
                          {"count", Json(7)},
                          {"_under_1", Json("u")}}};
  EvalScope scope{&input, &context, &variables};
};

PathExpr MustParse(std::string_view text) {
  auto path = PathExpr::Parse(text);
  EXPECT_TRUE(path.ok()) << text << ": " << path.status().message();
  return std::move(path).value();
}

TEST(PathExpr, DollarReadsTheStateInput) {
  Fixture f;
  PathExpr path = MustParse("$.a.b[1]");
  EXPECT_EQ(path.root(), PathExpr::Root::kInput);
  EXPECT_EQ(path.variable(), "");
  EXPECT_EQ(path.path().text(), "$.a.b[1]");
  EXPECT_EQ(path.text(), "$.a.b[1]");
  EXPECT_EQ(path.Evaluate(f.scope), Json(20));
  EXPECT_EQ(MustParse("$").Evaluate(f.scope), f.input);
  EXPECT_EQ(MustParse("$['s']").Evaluate(f.scope), Json("in"));
}

TEST(PathExpr, DoubleDollarReadsTheContextObject) {
  Fixture f;
  PathExpr path = MustParse("$$.Execution.Input.k");
  EXPECT_EQ(path.root(), PathExpr::Root::kContext);
  EXPECT_EQ(path.path().text(), "$.Execution.Input.k");
  EXPECT_EQ(path.text(), "$$.Execution.Input.k");
  EXPECT_EQ(path.Evaluate(f.scope), Json(1));
  EXPECT_EQ(MustParse("$$").Evaluate(f.scope), f.context);
  EXPECT_EQ(MustParse("$$['State']['Name']").Evaluate(f.scope), Json("S"));
}

TEST(PathExpr, DollarNameReadsAVariableAndItsTail) {
  Fixture f;
  PathExpr path = MustParse("$x.list[-1]");
  EXPECT_EQ(path.root(), PathExpr::Root::kVariable);
  EXPECT_EQ(path.variable(), "x");
  EXPECT_EQ(path.path().text(), "$.list[-1]");
  EXPECT_EQ(path.Evaluate(f.scope), Json(3));
  EXPECT_EQ(MustParse("$count").Evaluate(f.scope), Json(7));
  EXPECT_EQ(MustParse("$_under_1").Evaluate(f.scope), Json("u"));
  EXPECT_EQ(MustParse("$x['name']").Evaluate(f.scope), Json("v"));
  EXPECT_EQ(MustParse("$x.list[*]").Evaluate(f.scope), Json::parse("[1,2,3]"));
}

TEST(PathExpr, MissingValuesAreAbsent) {
  Fixture f;
  EXPECT_FALSE(MustParse("$.nope").Evaluate(f.scope).has_value());
  EXPECT_FALSE(MustParse("$$.Nope").Evaluate(f.scope).has_value());
  EXPECT_FALSE(MustParse("$unknown").Evaluate(f.scope).has_value());
  EXPECT_FALSE(MustParse("$x.nope").Evaluate(f.scope).has_value());
  EXPECT_EQ(MustParse("$unknown").Find(f.scope), nullptr);
}

TEST(PathExpr, ScopeWithoutContextOrVariablesFindsNothingThere) {
  Json input = Json::parse(R"({"a": 1})");
  EvalScope scope{&input, nullptr, nullptr};
  EXPECT_EQ(MustParse("$.a").Evaluate(scope), Json(1));
  EXPECT_FALSE(MustParse("$$.Execution").Evaluate(scope).has_value());
  EXPECT_FALSE(MustParse("$x").Evaluate(scope).has_value());
}

TEST(PathExpr, IndefinitePathsYieldArrays) {
  Fixture f;
  PathExpr path = MustParse("$.a.b[?(@ > 15)]");
  EXPECT_FALSE(path.IsDefinite());
  EXPECT_EQ(path.Evaluate(f.scope), Json::parse("[20]"));
  EXPECT_TRUE(MustParse("$x.list[0]").IsDefinite());
}

TEST(PathExpr, FindBorrowsFromTheScope) {
  Fixture f;
  EXPECT_EQ(MustParse("$.a").Find(f.scope), &f.input["a"]);
  EXPECT_EQ(MustParse("$$.State").Find(f.scope), &f.context["State"]);
  EXPECT_EQ(MustParse("$count").Find(f.scope), f.variables.Find("count"));
}

TEST(PathExpr, RejectsTextThatIsNotAPath) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"", "Invalid path '': must start with '$'"},
           Case{"a.b", "Invalid path 'a.b': must start with '$'"},
           Case{"$1x", "Invalid path '$1x': Invalid JSONPath '$1x': unexpected character '1' at position 1"},
           Case{"$x-y", "Invalid path '$x-y': Invalid JSONPath '$-y': unexpected character '-' at position 1"},
           Case{"$$.", "Invalid path '$$.': Invalid JSONPath '$.': expected a member name after '.' at position 2"},
           Case{"$.a[", "Invalid path '$.a[': Invalid JSONPath '$.a[': unterminated '[' at position 4"},
       }) {
    auto path = PathExpr::Parse(c.text);
    ASSERT_FALSE(path.ok()) << c.text;
    EXPECT_EQ(path.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(path.status().message(), c.message) << c.text;
  }
}

}  // namespace
}  // namespace stepd::asl
