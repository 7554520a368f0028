#include "stepd/asl/jsonata_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace stepd::asl {
namespace {

using ::testing::HasSubstr;

class MapVariables final : public VariableLookup {
 public:
  explicit MapVariables(Json values) : values_(std::move(values)) {}
  const Json* Find(std::string_view name) const override {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &*it;
  }

 private:
  Json values_;
};

JsonataTemplate MustCompile(const Json& value, std::string field = "Output") {
  Diagnostics d;
  JsonataTemplate t;
  EXPECT_TRUE(JsonataTemplate::Compile(value, field, "/States/S/" + field, &d, &t))
      << (d.empty() ? "" : d[0].message);
  return t;
}

Json MustEvaluate(const JsonataTemplate& t, const JsonataScope& scope) {
  auto r = t.Evaluate(scope);
  if (auto* f = std::get_if<JsonataFailure>(&r)) {
    ADD_FAILURE() << f->error.cause;
    return Json();
  }
  return std::get<Json>(std::move(r));
}

TEST(JsonataTemplate, OnlyStringsWrappedInPercentBracesAreExpressions) {
  EXPECT_TRUE(IsJsonataExpression("{% 1 %}"));
  EXPECT_TRUE(IsJsonataExpression("{%1%}"));
  EXPECT_FALSE(IsJsonataExpression(" {% 1 %}"));
  EXPECT_FALSE(IsJsonataExpression("{% 1 %} "));
  EXPECT_FALSE(IsJsonataExpression("{%%"));
  EXPECT_FALSE(IsJsonataExpression("$.x"));
}

TEST(JsonataTemplate, ReplacesEveryNestedExpressionAndKeepsLiterals) {
  Json input = {{"a", 2}, {"list", {1, 2, 3}}};
  auto t = MustCompile(Json::parse(R"({"x":"{% $states.input.a * 3 %}","keep":"$.a",
      "nested":[1,"{% $count($states.input.list) %}",{"deep":"{%$states.input.list[-1]%}"}]})"));
  EXPECT_FALSE(t.is_expression());
  EXPECT_FALSE(t.is_literal());
  JsonataScope scope;
  scope.input = &input;
  EXPECT_EQ(MustEvaluate(t, scope),
            Json::parse(R"({"x":6,"keep":"$.a","nested":[1,3,{"deep":3}]})"));
}

TEST(JsonataTemplate, WholeValueExpressionGivesAnyJsonType) {
  Json input = {{"a", Json::array({true, nullptr})}};
  auto t = MustCompile("{% $states.input.a %}");
  EXPECT_TRUE(t.is_expression());
  EXPECT_EQ(t.expression_text(), "$states.input.a");
  JsonataScope scope;
  scope.input = &input;
  EXPECT_EQ(MustEvaluate(t, scope), Json::array({true, nullptr}));
}

TEST(JsonataTemplate, LiteralTemplateEvaluatesToItself) {
  auto t = MustCompile(Json{{"a", 1}});
  EXPECT_TRUE(t.is_literal());
  EXPECT_EQ(MustEvaluate(t, {}), (Json{{"a", 1}}));
}

TEST(JsonataTemplate, StatesExposesInputResultErrorOutputAndContext) {
  Json input = {{"i", 1}}, result = {{"r", 2}}, error = {{"Error", "E"}}, context = {{"c", 3}};
  JsonataScope scope{&input, &result, &error, &context, nullptr};
  auto t = MustCompile("{% [$states.input.i, $states.result.r, $states.errorOutput.Error, "
                       "$states.context.c, $count($keys($states))] %}");
  EXPECT_EQ(MustEvaluate(t, scope), Json::parse(R"([1,2,"E",3,4])"));
  JsonataScope input_only;
  input_only.input = &input;
  EXPECT_EQ(MustEvaluate(MustCompile("{% $keys($states) %}"), input_only), "input");
}

TEST(JsonataTemplate, ReadsWorkflowVariablesButNeverAStatesVariable) {
  MapVariables vars(Json{{"count", 41}, {"states", "shadow"}});
  Json input = Json::object();
  JsonataScope scope;
  scope.input = &input;
  scope.variables = &vars;
  EXPECT_EQ(MustEvaluate(MustCompile("{% $count + 1 %}"), scope), 42);
  EXPECT_EQ(MustEvaluate(MustCompile("{% $type($states) %}"), scope), "object");
}

TEST(JsonataTemplate, ExpressionsOfOneTemplateShareConvertedValuesCorrectly) {
  // The expressions of one template share one conversion of $states; each
  // must still see the original values, whatever the others did with them.
  Json input = Json::parse(R"({"items":[3,1,2],"o":{"k":"v"}})");
  JsonataScope scope;
  scope.input = &input;
  auto t = MustCompile(Json::parse(R"({
      "sorted":"{% $sort($states.input.items) %}",
      "items":"{% $states.input.items %}",
      "appended":"{% $append($states.input.items, 9) %}",
      "again":"{% $states.input.items %}",
      "merged":"{% $merge([$states.input.o, {'k2': 1}]) %}",
      "o":"{% $states.input.o %}",
      "first":"{% $states.input.items[0] %}"})"));
  EXPECT_EQ(MustEvaluate(t, scope), Json::parse(R"({"sorted":[1,2,3],"items":[3,1,2],
      "appended":[3,1,2,9],"again":[3,1,2],"merged":{"k":"v","k2":1},"o":{"k":"v"},"first":3})"));
}

TEST(JsonataTemplate, AResultNoStateCouldPassOnIsDataLimitExceeded) {
  Json input = Json::object();
  JsonataScope scope;
  scope.input = &input;
  auto t = MustCompile(Json::parse(R"({"all":"{% [1..10000000] %}"})"));
  auto r = t.Evaluate(scope);
  auto* f = std::get_if<JsonataFailure>(&r);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->error.error, "States.DataLimitExceeded");
  EXPECT_EQ(f->field, "Output/all");
  EXPECT_THAT(f->error.cause, ::testing::HasSubstr("U1006: The result is larger than 16777216"));
}

TEST(JsonataTemplate, UndefinedResultNamesTheFieldPath) {
  Json input = Json::object();
  JsonataScope scope;
  scope.input = &input;
  auto t = MustCompile(Json::parse(R"({"a":{"b":["{% $states.input.missing %}"]}})"));
  auto r = t.Evaluate(scope);
  auto* f = std::get_if<JsonataFailure>(&r);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->error.error, "States.QueryEvaluationError");
  EXPECT_EQ(f->field, "Output/a/b/0");
  EXPECT_EQ(f->error.cause,
            "The JSONata expression '$states.input.missing' specified for the field "
            "'Output/a/b/0' returned nothing (undefined).");
}

TEST(JsonataTemplate, EvaluationErrorsCarryTheJsonataCodeAndMessage) {
  auto r = MustCompile("{% $notAFunction() %}").Evaluate({});
  auto* f = std::get_if<JsonataFailure>(&r);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->error.cause,
            "The JSONata expression '$notAFunction()' specified for the field 'Output' threw an "
            "error during evaluation. T1006: Attempted to invoke a non-function");
}

TEST(JsonataTemplate, SyntaxErrorsAreDiagnosticsAtTheString) {
  Diagnostics d;
  JsonataTemplate t;
  EXPECT_FALSE(JsonataTemplate::Compile(Json::parse(R"({"ok":"{% 1 %}","bad":["{% (1 %}"]})"),
                                        "Arguments", "/States/T/Arguments", &d, &t));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].location, "/States/T/Arguments/bad/0");
  EXPECT_THAT(d[0].message, HasSubstr("'Arguments/bad/0' must be a valid JSONata expression"));
}

TEST(JsonataTemplate, UnexpectedTypeUsesAwsWording) {
  auto t = MustCompile("{% 'x' %}", "Items");
  JsonataFailure f = t.UnexpectedType("array", Json("x"));
  EXPECT_EQ(f.error.cause,
            "The JSONata expression ''x'' specified for the field 'Items' returned an unexpected "
            "result type. Expected 'array', but was 'string' for value: \"x\"");
  EXPECT_EQ(f.field, "Items");
}

TEST(JsonataTemplate, StepFunctionsFunctionsCheckTheirArguments) {
  auto bad = MustCompile("{% $partition([1,2], 0) %}").Evaluate({});
  ASSERT_TRUE(std::holds_alternative<JsonataFailure>(bad));
  EXPECT_THAT(std::get<JsonataFailure>(bad).error.cause, HasSubstr("Invalid arguments in $partition"));
  auto parse = MustCompile("{% $parse('{not json') %}").Evaluate({});
  ASSERT_TRUE(std::holds_alternative<JsonataFailure>(parse));
  EXPECT_EQ(MustEvaluate(MustCompile("{% $hash('abc', 'MD5') %}"), {}),
            "900150983cd24fb0d6963f7d28e17f72");
  auto hash = MustCompile("{% $hash('abc', 'SHA-3') %}").Evaluate({});
  EXPECT_TRUE(std::holds_alternative<JsonataFailure>(hash));
  EXPECT_EQ(MustEvaluate(MustCompile("{% $range(5, 1, -2) %}"), {}), Json::parse("[5,3,1]"));
}

}  // namespace
}  // namespace stepd::asl
