#include "stepd/asl/choice_rule.h"

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

const Json& Input() {
  static const Json input = Json::parse(R"({
    "s": "banana", "s2": "banana", "empty": "", "star": "a*b", "slash": "a\\b",
    "i": 10, "f": 10.0, "g": 10.5, "neg": -3, "big": 18446744073709551615,
    "t": true, "fls": false, "nul": null,
    "ts": "2016-03-14T01:59:00Z", "ts_ms": "2016-03-14T01:59:00.000Z",
    "ts_off": "2016-03-14T02:59:00+01:00", "ts_later": "2016-03-14T01:59:00.5Z",
    "bad_ts": "2016-03-14 01:59:00Z",
    "arr": [1, 2], "obj": {"k": "v"}, "emoji": "\ud83d\ude00",
    "nested": {"list": [{"id": 1}, {"id": 2}]}
  })");
  return input;
}

struct EvalCase {
  std::string name;
  std::string rule;      // a nested rule (no Next)
  std::string expected;  // "true", "false", or the States.Runtime cause
};

void PrintTo(const EvalCase& c, std::ostream* os) { *os << c.name; }

AslResult<bool> EvaluateRule(const std::string& rule_text) {
  Json context = Json::parse(R"({"Execution": {"Input": {"s": "banana", "n": 10}}})");
  MapVariables variables({{"v", Json::parse(R"({"n": 10, "s": "banana", "ts": "2016-03-14T01:59:00Z"})")},
                          {"flag", Json(true)}});
  EvalScope scope{&Input(), &context, &variables};
  auto rule = ChoiceRule::Compile(Json::parse(rule_text), "/States/C/Choices/0/Not", false, nullptr);
  EXPECT_TRUE(rule.ok()) << rule_text << ": " << rule.status().message();
  if (!rule.ok()) return AslError{"compile", std::string(rule.status().message())};
  return rule.value().Evaluate(scope);
}

class ChoiceRuleEvaluate : public ::testing::TestWithParam<EvalCase> {};

TEST_P(ChoiceRuleEvaluate, MatchesAsStepFunctionsDoes) {
  const EvalCase& c = GetParam();
  AslResult<bool> got = EvaluateRule(c.rule);
  if (c.expected == "true" || c.expected == "false") {
    ASSERT_TRUE(got.ok()) << c.rule << ": " << got.error().cause;
    EXPECT_EQ(got.value(), c.expected == "true") << c.rule;
  } else {
    ASSERT_FALSE(got.ok()) << c.rule;
    EXPECT_EQ(got.error(), AslError::Of(StatesError::kRuntime, c.expected));
  }
}

#define J(...) #__VA_ARGS__

INSTANTIATE_TEST_SUITE_P(
    Operators, ChoiceRuleEvaluate,
    ::testing::Values(
        // Strings.
        EvalCase{"StringEqualsTrue", J({"Variable": "$.s", "StringEquals": "banana"}), "true"},
        EvalCase{"StringEqualsFalse", J({"Variable": "$.s", "StringEquals": "Banana"}), "false"},
        EvalCase{"StringEqualsOnNumberIsFalse", J({"Variable": "$.i", "StringEquals": "10"}), "false"},
        EvalCase{"StringEqualsOnNullIsFalse", J({"Variable": "$.nul", "StringEquals": "null"}), "false"},
        EvalCase{"StringLessThanTrue", J({"Variable": "$.s", "StringLessThan": "cherry"}), "true"},
        EvalCase{"StringLessThanFalse", J({"Variable": "$.s", "StringLessThan": "apple"}), "false"},
        EvalCase{"StringLessThanPrefixFirst", J({"Variable": "$.s", "StringLessThan": "bananas"}), "true"},
        EvalCase{"StringGreaterThanTrue", J({"Variable": "$.s", "StringGreaterThan": "apple"}), "true"},
        EvalCase{"StringGreaterThanFalse", J({"Variable": "$.s", "StringGreaterThan": "banana"}), "false"},
        EvalCase{"StringLessThanEqualsTrue", J({"Variable": "$.s", "StringLessThanEquals": "banana"}), "true"},
        EvalCase{"StringLessThanEqualsFalse", J({"Variable": "$.s", "StringLessThanEquals": "b"}), "false"},
        EvalCase{"StringGreaterThanEqualsTrue", J({"Variable": "$.s", "StringGreaterThanEquals": "banana"}), "true"},
        EvalCase{"StringGreaterThanEqualsFalse", J({"Variable": "$.s", "StringGreaterThanEquals": "c"}), "false"},
        EvalCase{"StringOrderIsByCodeUnitNotLocale", J({"Variable": "$.s", "StringGreaterThan": "Zebra"}), "true"},
        EvalCase{"StringOrderIsJavaUtf16Order", J({"Variable": "$.emoji", "StringLessThan": "\uff5a"}), "true"},
        EvalCase{"StringEqualsPathTrue", J({"Variable": "$.s", "StringEqualsPath": "$.s2"}), "true"},
        EvalCase{"StringEqualsPathFalse", J({"Variable": "$.s", "StringEqualsPath": "$.empty"}), "false"},
        EvalCase{"StringEqualsPathNonStringIsFalse", J({"Variable": "$.s", "StringEqualsPath": "$.i"}), "false"},
        EvalCase{"StringLessThanPath", J({"Variable": "$.empty", "StringLessThanPath": "$.s"}), "true"},
        EvalCase{"StringGreaterThanPath", J({"Variable": "$.empty", "StringGreaterThanPath": "$.s"}), "false"},
        EvalCase{"StringLessThanEqualsPath", J({"Variable": "$.s", "StringLessThanEqualsPath": "$.s2"}), "true"},
        EvalCase{"StringGreaterThanEqualsPath", J({"Variable": "$.empty", "StringGreaterThanEqualsPath": "$.s"}), "false"},
        EvalCase{"StringEqualsPathFromContext", J({"Variable": "$.s", "StringEqualsPath": "$$.Execution.Input.s"}), "true"},
        EvalCase{"StringEqualsPathFromVariable", J({"Variable": "$.s", "StringEqualsPath": "$v.s"}), "true"},
        EvalCase{"VariableFromContext", J({"Variable": "$$.Execution.Input.n", "NumericEquals": 10}), "true"},
        EvalCase{"VariableFromWorkflowVariable", J({"Variable": "$v.n", "NumericGreaterThan": 9}), "true"},
        EvalCase{"WholeVariableValue", J({"Variable": "$flag", "BooleanEquals": true}), "true"},
        // StringMatches.
        EvalCase{"MatchesLiteral", J({"Variable": "$.s", "StringMatches": "banana"}), "true"},
        EvalCase{"MatchesPrefixStar", J({"Variable": "$.s", "StringMatches": "ban*"}), "true"},
        EvalCase{"MatchesSuffixStar", J({"Variable": "$.s", "StringMatches": "*ana"}), "true"},
        EvalCase{"MatchesInnerStars", J({"Variable": "$.s", "StringMatches": "b*n*a"}), "true"},
        EvalCase{"MatchesBacktracks", J({"Variable": "$.s", "StringMatches": "*an*na"}), "true"},
        EvalCase{"MatchesStarAlone", J({"Variable": "$.empty", "StringMatches": "*"}), "true"},
        EvalCase{"MatchesMismatch", J({"Variable": "$.s", "StringMatches": "ban*x"}), "false"},
        EvalCase{"MatchesIsCaseSensitive", J({"Variable": "$.s", "StringMatches": "BAN*"}), "false"},
        EvalCase{"MatchesEscapedStarIsLiteral", J({"Variable": "$.star", "StringMatches": "a\\*b"}), "true"},
        EvalCase{"MatchesEscapedStarNotWildcard", J({"Variable": "$.s", "StringMatches": "b\\*"}), "false"},
        EvalCase{"MatchesEscapedBackslash", J({"Variable": "$.slash", "StringMatches": "a\\\\b"}), "true"},
        EvalCase{"MatchesEscapedBackslashThenStar", J({"Variable": "$.slash", "StringMatches": "a\\\\*"}), "true"},
        EvalCase{"MatchesOnNumberIsFalse", J({"Variable": "$.i", "StringMatches": "*"}), "false"},
        // Numbers: by value, int and float alike.
        EvalCase{"NumericEqualsInt", J({"Variable": "$.i", "NumericEquals": 10}), "true"},
        EvalCase{"NumericEqualsIntToFloat", J({"Variable": "$.i", "NumericEquals": 10.0}), "true"},
        EvalCase{"NumericEqualsFloatToInt", J({"Variable": "$.f", "NumericEquals": 10}), "true"},
        EvalCase{"NumericEqualsFalse", J({"Variable": "$.g", "NumericEquals": 10}), "false"},
        EvalCase{"NumericEqualsOnStringIsFalse", J({"Variable": "$.s", "NumericEquals": 10}), "false"},
        EvalCase{"NumericEqualsOnBoolIsFalse", J({"Variable": "$.t", "NumericEquals": 1}), "false"},
        EvalCase{"NumericEqualsOnNullIsFalse", J({"Variable": "$.nul", "NumericEquals": 0}), "false"},
        EvalCase{"NumericLessThanTrue", J({"Variable": "$.neg", "NumericLessThan": 0}), "true"},
        EvalCase{"NumericLessThanFalse", J({"Variable": "$.i", "NumericLessThan": 10}), "false"},
        EvalCase{"NumericGreaterThanTrue", J({"Variable": "$.g", "NumericGreaterThan": 10}), "true"},
        EvalCase{"NumericGreaterThanFalse", J({"Variable": "$.f", "NumericGreaterThan": 10}), "false"},
        EvalCase{"NumericLessThanEqualsTrue", J({"Variable": "$.f", "NumericLessThanEquals": 10}), "true"},
        EvalCase{"NumericLessThanEqualsFalse", J({"Variable": "$.g", "NumericLessThanEquals": 10}), "false"},
        EvalCase{"NumericGreaterThanEqualsTrue", J({"Variable": "$.i", "NumericGreaterThanEquals": 9.5}), "true"},
        EvalCase{"NumericGreaterThanEqualsFalse", J({"Variable": "$.neg", "NumericGreaterThanEquals": -2}), "false"},
        EvalCase{"NumericHugeUnsigned", J({"Variable": "$.big", "NumericGreaterThan": 9223372036854775807}), "true"},
        EvalCase{"NumericEqualsPath", J({"Variable": "$.i", "NumericEqualsPath": "$.f"}), "true"},
        EvalCase{"NumericEqualsPathNonNumberIsFalse", J({"Variable": "$.i", "NumericEqualsPath": "$.s"}), "false"},
        EvalCase{"NumericLessThanPath", J({"Variable": "$.i", "NumericLessThanPath": "$.g"}), "true"},
        EvalCase{"NumericGreaterThanPath", J({"Variable": "$.i", "NumericGreaterThanPath": "$.g"}), "false"},
        EvalCase{"NumericLessThanEqualsPath", J({"Variable": "$.i", "NumericLessThanEqualsPath": "$.f"}), "true"},
        EvalCase{"NumericGreaterThanEqualsPath", J({"Variable": "$.neg", "NumericGreaterThanEqualsPath": "$.i"}), "false"},
        EvalCase{"NumericEqualsPathFromVariable", J({"Variable": "$.i", "NumericEqualsPath": "$v.n"}), "true"},
        // Booleans.
        EvalCase{"BooleanEqualsTrue", J({"Variable": "$.t", "BooleanEquals": true}), "true"},
        EvalCase{"BooleanEqualsFalse", J({"Variable": "$.fls", "BooleanEquals": true}), "false"},
        EvalCase{"BooleanEqualsOnStringIsFalse", J({"Variable": "$.s", "BooleanEquals": false}), "false"},
        EvalCase{"BooleanEqualsOnNumberIsFalse", J({"Variable": "$.i", "BooleanEquals": true}), "false"},
        EvalCase{"BooleanEqualsPathTrue", J({"Variable": "$.t", "BooleanEqualsPath": "$flag"}), "true"},
        EvalCase{"BooleanEqualsPathFalse", J({"Variable": "$.fls", "BooleanEqualsPath": "$.t"}), "false"},
        EvalCase{"BooleanEqualsPathNonBoolIsFalse", J({"Variable": "$.t", "BooleanEqualsPath": "$.i"}), "false"},
        // Timestamps: by instant, not by text.
        EvalCase{"TimestampEqualsSameText", J({"Variable": "$.ts", "TimestampEquals": "2016-03-14T01:59:00Z"}), "true"},
        EvalCase{"TimestampEqualsOtherSpelling", J({"Variable": "$.ts_ms", "TimestampEquals": "2016-03-14T01:59:00Z"}), "true"},
        EvalCase{"TimestampEqualsAcrossOffsets", J({"Variable": "$.ts_off", "TimestampEquals": "2016-03-14T01:59:00Z"}), "true"},
        EvalCase{"TimestampEqualsFalse", J({"Variable": "$.ts_later", "TimestampEquals": "2016-03-14T01:59:00Z"}), "false"},
        EvalCase{"TimestampLessThanTrue", J({"Variable": "$.ts", "TimestampLessThan": "2016-03-14T01:59:00.001Z"}), "true"},
        EvalCase{"TimestampLessThanFalse", J({"Variable": "$.ts", "TimestampLessThan": "2016-03-14T01:59:00Z"}), "false"},
        EvalCase{"TimestampGreaterThanTrue", J({"Variable": "$.ts_later", "TimestampGreaterThan": "2016-03-14T01:59:00Z"}), "true"},
        EvalCase{"TimestampGreaterThanFalse", J({"Variable": "$.ts", "TimestampGreaterThan": "2016-03-14T03:00:00+01:00"}), "false"},
        EvalCase{"TimestampLessThanEqualsTrue", J({"Variable": "$.ts_off", "TimestampLessThanEquals": "2016-03-14T01:59:00Z"}), "true"},
        EvalCase{"TimestampLessThanEqualsFalse", J({"Variable": "$.ts_later", "TimestampLessThanEquals": "2016-03-14T01:59:00Z"}), "false"},
        EvalCase{"TimestampGreaterThanEqualsTrue", J({"Variable": "$.ts", "TimestampGreaterThanEquals": "2016-03-14T01:59:00Z"}), "true"},
        EvalCase{"TimestampGreaterThanEqualsFalse", J({"Variable": "$.ts", "TimestampGreaterThanEquals": "2017-01-01T00:00:00Z"}), "false"},
        EvalCase{"TimestampInvalidVariableIsFalse", J({"Variable": "$.bad_ts", "TimestampLessThan": "2099-01-01T00:00:00Z"}), "false"},
        EvalCase{"TimestampOnNumberIsFalse", J({"Variable": "$.i", "TimestampLessThan": "2099-01-01T00:00:00Z"}), "false"},
        EvalCase{"TimestampEqualsPath", J({"Variable": "$.ts", "TimestampEqualsPath": "$.ts_off"}), "true"},
        EvalCase{"TimestampEqualsPathInvalidOperandIsFalse", J({"Variable": "$.ts", "TimestampEqualsPath": "$.bad_ts"}), "false"},
        EvalCase{"TimestampLessThanPath", J({"Variable": "$.ts", "TimestampLessThanPath": "$.ts_later"}), "true"},
        EvalCase{"TimestampGreaterThanPath", J({"Variable": "$.ts", "TimestampGreaterThanPath": "$.ts_later"}), "false"},
        EvalCase{"TimestampLessThanEqualsPath", J({"Variable": "$.ts", "TimestampLessThanEqualsPath": "$v.ts"}), "true"},
        EvalCase{"TimestampGreaterThanEqualsPath", J({"Variable": "$.ts", "TimestampGreaterThanEqualsPath": "$.ts_later"}), "false"},
        // Type tests.
        EvalCase{"IsPresentTrue", J({"Variable": "$.nul", "IsPresent": true}), "true"},
        EvalCase{"IsPresentMissingIsNotAnError", J({"Variable": "$.nope", "IsPresent": true}), "false"},
        EvalCase{"IsPresentFalseOnMissing", J({"Variable": "$.nope.deeper", "IsPresent": false}), "true"},
        EvalCase{"IsPresentUnknownVariable", J({"Variable": "$nope", "IsPresent": false}), "true"},
        EvalCase{"IsNullTrue", J({"Variable": "$.nul", "IsNull": true}), "true"},
        EvalCase{"IsNullFalse", J({"Variable": "$.s", "IsNull": true}), "false"},
        EvalCase{"IsNullNegated", J({"Variable": "$.s", "IsNull": false}), "true"},
        EvalCase{"IsBooleanTrue", J({"Variable": "$.fls", "IsBoolean": true}), "true"},
        EvalCase{"IsBooleanFalse", J({"Variable": "$.s", "IsBoolean": true}), "false"},
        EvalCase{"IsNumericInt", J({"Variable": "$.i", "IsNumeric": true}), "true"},
        EvalCase{"IsNumericFloat", J({"Variable": "$.g", "IsNumeric": true}), "true"},
        EvalCase{"IsNumericNumericString", J({"Variable": "$.s", "IsNumeric": false}), "true"},
        EvalCase{"IsStringTrue", J({"Variable": "$.empty", "IsString": true}), "true"},
        EvalCase{"IsStringFalseOnArray", J({"Variable": "$.arr", "IsString": true}), "false"},
        EvalCase{"IsTimestampTrue", J({"Variable": "$.ts_off", "IsTimestamp": true}), "true"},
        EvalCase{"IsTimestampWithoutTIsFalse", J({"Variable": "$.bad_ts", "IsTimestamp": true}), "false"},
        EvalCase{"IsTimestampOnNumberIsFalse", J({"Variable": "$.i", "IsTimestamp": false}), "true"},
        // Boolean composition.
        EvalCase{"AndAllTrue", J({"And": [{"Variable": "$.i", "NumericEquals": 10}, {"Variable": "$.t", "BooleanEquals": true}]}), "true"},
        EvalCase{"AndOneFalse", J({"And": [{"Variable": "$.i", "NumericEquals": 10}, {"Variable": "$.t", "BooleanEquals": false}]}), "false"},
        EvalCase{"AndStopsAtFirstFalse", J({"And": [{"Variable": "$.t", "BooleanEquals": false}, {"Variable": "$.nope", "IsNull": true}]}), "false"},
        EvalCase{"OrOneTrue", J({"Or": [{"Variable": "$.i", "NumericEquals": 11}, {"Variable": "$.s", "StringEquals": "banana"}]}), "true"},
        EvalCase{"OrAllFalse", J({"Or": [{"Variable": "$.i", "NumericEquals": 11}, {"Variable": "$.s", "StringEquals": "x"}]}), "false"},
        EvalCase{"OrStopsAtFirstTrue", J({"Or": [{"Variable": "$.t", "BooleanEquals": true}, {"Variable": "$.nope", "IsNull": true}]}), "true"},
        EvalCase{"NotTrue", J({"Not": {"Variable": "$.s", "StringEquals": "x"}}), "true"},
        EvalCase{"NotFalse", J({"Not": {"Variable": "$.s", "StringEquals": "banana"}}), "false"},
        EvalCase{"DeepNesting", J({"And": [{"Not": {"Or": [{"Variable": "$.i", "NumericLessThan": 0}, {"Variable": "$.nul", "IsNull": false}]}}, {"Or": [{"Variable": "$.arr[1]", "NumericEquals": 2}]}]}), "true"},
        EvalCase{"IndefiniteVariableIsAnArray", J({"Variable": "$.nested.list[*].id", "IsString": false}), "true"},
        // A missing Variable (or *Path operand) is a runtime error for every operator but IsPresent.
        EvalCase{"MissingVariableStringEquals", J({"Variable": "$.nope", "StringEquals": "x"}),
                 "Invalid path '$.nope': The choice state's condition path references an invalid value."},
        EvalCase{"MissingVariableNumeric", J({"Variable": "$.obj.nope", "NumericEquals": 1}),
                 "Invalid path '$.obj.nope': The choice state's condition path references an invalid value."},
        EvalCase{"MissingVariableIsNull", J({"Variable": "$.nope", "IsNull": false}),
                 "Invalid path '$.nope': The choice state's condition path references an invalid value."},
        EvalCase{"UnknownWorkflowVariable", J({"Variable": "$unknown", "BooleanEquals": true}),
                 "Invalid path '$unknown': The choice state's condition path references an invalid value."},
        EvalCase{"MissingContextField", J({"Variable": "$$.Execution.Nope", "StringEquals": "x"}),
                 "Invalid path '$$.Execution.Nope': The choice state's condition path references an invalid value."},
        EvalCase{"MissingOperandPath", J({"Variable": "$.i", "NumericEqualsPath": "$.nope"}),
                 "Invalid path '$.nope': The choice state's condition path references an invalid value."},
        EvalCase{"MissingInsideNot", J({"Not": {"Variable": "$.nope", "StringEquals": "x"}}),
                 "Invalid path '$.nope': The choice state's condition path references an invalid value."}),
    [](const ::testing::TestParamInfo<EvalCase>& info) { return info.param.name; });

TEST(ChoiceRule, TopLevelRuleKeepsNextAndAssign) {
  auto rule = ChoiceRule::Compile(
      Json::parse(R"({"Variable": "$.i", "NumericEquals": 10, "Next": "Done", "Assign": {"x": 1}, "Comment": "c"})"),
      "/States/C/Choices/0", true, nullptr);
  ASSERT_TRUE(rule.ok()) << rule.status().message();
  EXPECT_EQ(rule.value().next(), "Done");
  EXPECT_EQ(rule.value().assign(), Json::parse(R"({"x": 1})"));
  EvalScope scope{&Input(), nullptr, nullptr};
  auto matched = rule.value().Evaluate(scope);
  ASSERT_TRUE(matched.ok());
  EXPECT_TRUE(matched.value());
}

TEST(ChoiceRule, NestedRuleHasNoNext) {
  auto rule = ChoiceRule::Compile(Json::parse(R"({"Variable": "$.i", "IsNumeric": true})"),
                                  "/States/C/Choices/0/Not", false, nullptr);
  ASSERT_TRUE(rule.ok());
  EXPECT_EQ(rule.value().next(), "");
  EXPECT_TRUE(rule.value().assign().is_null());
}

TEST(ChoiceRule, DefaultConstructedRuleNeverMatches) {
  ChoiceRule rule;
  EvalScope scope{&Input(), nullptr, nullptr};
  auto matched = rule.Evaluate(scope);
  ASSERT_TRUE(matched.ok());
  EXPECT_FALSE(matched.value());
}

struct RejectCase {
  std::string name;
  std::string rule;
  bool top_level;
  std::vector<Diagnostic> diagnostics;
};

void PrintTo(const RejectCase& c, std::ostream* os) { *os << c.name; }

Diagnostic Schema(std::string message, std::string location) {
  return Diagnostic{"SCHEMA_VALIDATION_FAILED", std::move(message), Severity::kError, std::move(location)};
}

class ChoiceRuleReject : public ::testing::TestWithParam<RejectCase> {};

TEST_P(ChoiceRuleReject, ReportsAwsSchemaErrors) {
  const RejectCase& c = GetParam();
  Diagnostics diagnostics;
  auto rule = ChoiceRule::Compile(Json::parse(c.rule), "/States/C/Choices/0", c.top_level, &diagnostics);
  ASSERT_FALSE(rule.ok()) << c.rule;
  EXPECT_EQ(rule.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(diagnostics, c.diagnostics);
  ASSERT_FALSE(c.diagnostics.empty());
  EXPECT_EQ(rule.status().message(), c.diagnostics[0].message + " at " + c.diagnostics[0].location);
}

const char kOneOperator[] =
    "A choice rule must have exactly one comparison operator or one of And, Or, Not";

INSTANTIATE_TEST_SUITE_P(
    Compile, ChoiceRuleReject,
    ::testing::Values(
        RejectCase{"NoOperator", J({"Variable": "$.a", "Next": "X"}), true,
                   {Schema(kOneOperator, "/States/C/Choices/0")}},
        RejectCase{"TwoOperators", J({"Variable": "$.a", "StringEquals": "x", "IsNull": true, "Next": "X"}), true,
                   {Schema(kOneOperator, "/States/C/Choices/0")}},
        RejectCase{"OperatorAndBooleanCombinator", J({"Variable": "$.a", "StringEquals": "x", "Not": {"Variable": "$.a", "IsNull": true}, "Next": "X"}), true,
                   {Schema(kOneOperator, "/States/C/Choices/0")}},
        RejectCase{"MissingNextAtTopLevel", J({"Variable": "$.a", "StringEquals": "x"}), true,
                   {Schema("These fields are required: [Next]", "/States/C/Choices/0")}},
        RejectCase{"NextNotAString", J({"Variable": "$.a", "StringEquals": "x", "Next": 1}), true,
                   {Schema("Expected value of type String", "/States/C/Choices/0/Next")}},
        RejectCase{"NextInsideNestedRule", J({"Not": {"Variable": "$.a", "StringEquals": "x", "Next": "Y"}, "Next": "X"}), true,
                   {Schema("Field 'Next' is not supported", "/States/C/Choices/0/Not")}},
        RejectCase{"UnknownField", J({"Variable": "$.a", "StringEquals": "x", "Next": "X", "Foo": 1}), true,
                   {Schema("Field 'Foo' is not supported", "/States/C/Choices/0")}},
        RejectCase{"LowercaseOperatorIsUnknown", J({"Variable": "$.a", "stringEquals": "x", "Next": "X"}), true,
                   {Schema("Field 'stringEquals' is not supported", "/States/C/Choices/0"),
                    Schema(kOneOperator, "/States/C/Choices/0")}},
        RejectCase{"MissingVariable", J({"StringEquals": "x", "Next": "X"}), true,
                   {Schema("These fields are required: [Variable]", "/States/C/Choices/0")}},
        RejectCase{"VariableNotAPath", J({"Variable": "a.b", "StringEquals": "x", "Next": "X"}), true,
                   {Schema("The value for the field 'Variable' must be a valid JSONPath", "/States/C/Choices/0/Variable")}},
        RejectCase{"VariableNotAString", J({"Variable": 3, "StringEquals": "x", "Next": "X"}), true,
                   {Schema("The value for the field 'Variable' must be a valid JSONPath", "/States/C/Choices/0/Variable")}},
        RejectCase{"VariableOnCombinator", J({"Variable": "$.a", "Not": {"Variable": "$.a", "IsNull": true}, "Next": "X"}), true,
                   {Schema("Field 'Variable' is not supported", "/States/C/Choices/0")}},
        RejectCase{"NumericEqualsString", J({"Variable": "$.a", "NumericEquals": "1", "Next": "X"}), true,
                   {Schema("Expected value of type Number", "/States/C/Choices/0/NumericEquals")}},
        RejectCase{"StringEqualsNumber", J({"Variable": "$.a", "StringEquals": 1, "Next": "X"}), true,
                   {Schema("Expected value of type String", "/States/C/Choices/0/StringEquals")}},
        RejectCase{"StringMatchesNull", J({"Variable": "$.a", "StringMatches": null, "Next": "X"}), true,
                   {Schema("Expected value of type String", "/States/C/Choices/0/StringMatches")}},
        RejectCase{"BooleanEqualsString", J({"Variable": "$.a", "BooleanEquals": "true", "Next": "X"}), true,
                   {Schema("Expected value of type Boolean", "/States/C/Choices/0/BooleanEquals")}},
        RejectCase{"IsNullNotBoolean", J({"Variable": "$.a", "IsNull": 1, "Next": "X"}), true,
                   {Schema("Expected value of type Boolean", "/States/C/Choices/0/IsNull")}},
        RejectCase{"TimestampNotRfc3339", J({"Variable": "$.a", "TimestampEquals": "2016-03-14 01:59:00Z", "Next": "X"}), true,
                   {Schema("String does not match RFC3339 timestamp", "/States/C/Choices/0/TimestampEquals")}},
        RejectCase{"TimestampWithoutOffset", J({"Variable": "$.a", "TimestampLessThan": "2016-03-14T01:59:00", "Next": "X"}), true,
                   {Schema("String does not match RFC3339 timestamp", "/States/C/Choices/0/TimestampLessThan")}},
        RejectCase{"TimestampImpossibleDate", J({"Variable": "$.a", "TimestampGreaterThan": "2023-02-29T00:00:00Z", "Next": "X"}), true,
                   {Schema("String does not match RFC3339 timestamp", "/States/C/Choices/0/TimestampGreaterThan")}},
        RejectCase{"PathOperandNotAPath", J({"Variable": "$.a", "NumericEqualsPath": "x", "Next": "X"}), true,
                   {Schema("The value for the field 'NumericEqualsPath' must be a valid JSONPath", "/States/C/Choices/0/NumericEqualsPath")}},
        RejectCase{"EmptyAnd", J({"And": [], "Next": "X"}), true,
                   {Schema("Expected a non-empty array", "/States/C/Choices/0/And")}},
        RejectCase{"OrNotAnArray", J({"Or": {"Variable": "$.a", "IsNull": true}, "Next": "X"}), true,
                   {Schema("Expected a non-empty array", "/States/C/Choices/0/Or")}},
        RejectCase{"BadRuleDeepInside", J({"And": [{"Variable": "$.a", "IsNull": true}, {"Not": {"Variable": "$.b", "NumericEquals": "1"}}], "Next": "X"}), true,
                   {Schema("Expected value of type Number", "/States/C/Choices/0/And/1/Not/NumericEquals")}},
        RejectCase{"NestedRuleNotAnObject", J({"Or": [1], "Next": "X"}), true,
                   {Schema("Expected value of type Object", "/States/C/Choices/0/Or/0")}},
        RejectCase{"AssignOnlyAtTopLevel", J({"Variable": "$.a", "IsNull": true, "Assign": {}}), false,
                   {Schema("Field 'Assign' is not supported", "/States/C/Choices/0")}}),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

TEST(ChoiceRule, CompileWithoutDiagnosticsStillFails) {
  auto rule = ChoiceRule::Compile(Json::parse(R"({"Variable": "$.a", "NumericEquals": "1", "Next": "X"})"),
                                  "/States/C/Choices/3", true, nullptr);
  ASSERT_FALSE(rule.ok());
  EXPECT_EQ(rule.status().message(), "Expected value of type Number at /States/C/Choices/3/NumericEquals");
}

TEST(ChoiceRule, CopiesShareTheCompiledRule) {
  auto rule = ChoiceRule::Compile(Json::parse(R"({"Variable": "$.s", "StringMatches": "b*", "Next": "X"})"),
                                  "/States/C/Choices/0", true, nullptr);
  ASSERT_TRUE(rule.ok());
  ChoiceRule copy = rule.value();
  EvalScope scope{&Input(), nullptr, nullptr};
  EXPECT_TRUE(copy.Evaluate(scope).value());
  EXPECT_EQ(copy.next(), "X");
}

}  // namespace
}  // namespace stepd::asl
