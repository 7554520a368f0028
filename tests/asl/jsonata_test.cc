#include "stepd/asl/jsonata.h"

#include <gtest/gtest.h>

#include <map>

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

}  // namespace
}  // namespace stepd::asl
