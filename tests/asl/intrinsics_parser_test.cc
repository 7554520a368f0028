#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "stepd/asl/intrinsics.h"

namespace stepd::asl {
namespace {

using ::testing::HasSubstr;

// Parses and runs `text` against `input`; the test fails on a parse error.
AslResult<Json> Eval(std::string_view text, const Json& input = Json::object()) {
  auto call = IntrinsicCall::Parse(text);
  EXPECT_TRUE(call.ok()) << call.status();
  if (!call.ok()) return AslError{"parse", call.status().message()};
  EvalScope scope{&input, nullptr, nullptr};
  return call->Evaluate(scope);
}

Json RunOk(std::string_view text, const Json& input = Json::object()) {
  AslResult<Json> result = Eval(text, input);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().cause);
  return result.ok() ? result.value() : Json();
}

TEST(IntrinsicParser, KeepsTextAndOutermostFunction) {
  auto call = IntrinsicCall::Parse("States.MathAdd($.i, 1)");
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->text(), "States.MathAdd($.i, 1)");
  EXPECT_EQ(call->function(), IntrinsicFunction::kMathAdd);
}

TEST(IntrinsicParser, ParsesEveryLiteralKind) {
  EXPECT_EQ(RunOk("States.Array('a', 1, -2.5, 1e3, true, false, null)"),
            Json::parse(R"(["a", 1, -2.5, 1000.0, true, false, null])"));
}

TEST(IntrinsicParser, KeepsIntegersIntegral) {
  Json out = RunOk("States.Array(0, -7, 12)");
  EXPECT_TRUE(out[0].is_number_integer());
  EXPECT_EQ(out[1], -7);
  EXPECT_TRUE(out[2].is_number_integer());
}

TEST(IntrinsicParser, AcceptsWhitespaceAroundArguments) {
  EXPECT_EQ(RunOk("States.Array( $.a ,\t$.b\n)", Json{{"a", 1}, {"b", 2}}), Json::array({1, 2}));
  EXPECT_EQ(RunOk("  States.Array()  "), Json::array());
}

TEST(IntrinsicParser, DecodesTheFourLegalEscapes) {
  EXPECT_EQ(RunOk(R"(States.Array('it\'s', '\{x\}', 'a\\b'))"),
            Json::array({"it's", "{x}", "a\\b"}));
}

TEST(IntrinsicParser, RejectsAnyOtherEscape) {
  auto call = IntrinsicCall::Parse(R"(States.StringToJson('{"text":"An \"q\" here"}'))");
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(call.status().message(), HasSubstr("illegal escape sequence '\\\"'"));
  EXPECT_FALSE(IntrinsicCall::Parse(R"(States.Format('a\nb'))").ok());
}

TEST(IntrinsicParser, KeepsDoubleQuotesAndCommasInsideStrings) {
  EXPECT_EQ(RunOk(R"j(States.StringToJson('{"a": [1, 2], "b": "x,)"}'))j"),
            Json::parse(R"j({"a": [1, 2], "b": "x,)"})j"));
}

TEST(IntrinsicParser, ParsesNestedCalls) {
  EXPECT_EQ(RunOk("States.ArrayGetItem(States.StringSplit($.arn, ':'), States.MathAdd(1, 2))",
                  Json{{"arn", "arn:aws:states:eu"}}),
            "eu");
}

TEST(IntrinsicParser, AcceptsDeeplyNestedDocumentedExample) {
  Json input = {{"ImageRecipe", {{"Arn", "arn:aws:imagebuilder:r:1:image-recipe/my.recipe/1.0.0"}}}};
  EXPECT_EQ(RunOk("States.Format('{}.{}', States.ArrayGetItem(States.StringSplit("
                  "States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), "
                  "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit("
                  "$.ImageRecipe.Arn, '/'), 2), '.'), 1))",
                  input),
            "1.0");
}

TEST(IntrinsicParser, AllowsTenNestedCallsButNotEleven) {
  std::string ten = "1";
  for (int i = 0; i < 10; ++i) ten = "States.Array(" + ten + ")";
  EXPECT_TRUE(IntrinsicCall::Parse(ten).ok());
  auto eleven = IntrinsicCall::Parse("States.Array(" + ten + ")");
  ASSERT_FALSE(eleven.ok());
  EXPECT_THAT(eleven.status().message(), HasSubstr("nest more than 10 deep"));
}

TEST(IntrinsicParser, ReadsPathsFromInputContextAndVariables) {
  class Vars : public VariableLookup {
   public:
    const Json* Find(std::string_view name) const override {
      return name == "greeting" ? &value_ : nullptr;
    }
    Json value_ = "hi";
  } vars;
  Json input = {{"name", "Ada"}};
  Json context = {{"Execution", {{"Id", "exec-1"}}}};
  auto call = IntrinsicCall::Parse("States.Format('{} {} {}', $greeting, $.name, $$.Execution.Id)");
  ASSERT_TRUE(call.ok()) << call.status();
  AslResult<Json> out = call->Evaluate(EvalScope{&input, &context, &vars});
  ASSERT_TRUE(out.ok()) << out.error().cause;
  EXPECT_EQ(out.value(), "hi Ada exec-1");
}

TEST(IntrinsicParser, PathArgumentStopsAtTopLevelCommaOnly) {
  EXPECT_EQ(RunOk("States.Array($.a[0], $.b)", Json{{"a", {5, 6}}, {"b", 7}}),
            Json::array({5, 7}));
}

TEST(IntrinsicParser, MissingPathArgumentIsRuntimeErrorNamingPathAndInput) {
  AslResult<Json> out = Eval("States.Base64Decode($.missing)", Json::object());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error(), (AslError{"States.Runtime",
                                   "The JsonPath argument for the field '$.missing' could not be "
                                   "found in the input '{}'"}));
}

TEST(IntrinsicParser, RejectsMalformedCalls) {
  for (const char* text : {
           "States.Array(",                  // unterminated
           "States.Array($.a) trailing",     // trailing text
           "States.Array([1,2])",            // JSON array literal
           "States.Array(1.)",               // not JSON number grammar
           "States.Array(.5)",               // not JSON number grammar
           "States.Array(01)",               // leading zero
           "States.Array(1,)",               // empty argument
           "States.Array(,1)",               // empty argument
           "States.Array('abc)",             // unterminated string
           "States.Array(\"abc\")",          // double-quoted string
           "States.Array(truex)",            // not a keyword
           "States.Array (1)",               // space before '('
           "States.Nope(1)",                 // unknown function
           "States.format('x')",             // names are case-sensitive
           "States.Array(1) States.Array(2)",
           "Format('x')",
           "",
       }) {
    auto call = IntrinsicCall::Parse(text);
    EXPECT_FALSE(call.ok()) << text;
    if (!call.ok()) {
      EXPECT_EQ(call.status().code(), StatusCode::kInvalidArgument) << text;
    }
  }
}

TEST(IntrinsicParser, UnknownFunctionMessageNamesIt) {
  auto call = IntrinsicCall::Parse("States.Nope(1)");
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.status().message(),
            "invalid intrinsic function call 'States.Nope(1)': unknown intrinsic function "
            "'States.Nope' at offset 11");
}

TEST(IntrinsicParser, ArgumentCountIsCheckedAtRunTimeNotParseTime) {
  auto call = IntrinsicCall::Parse("States.MathAdd(1)");
  ASSERT_TRUE(call.ok());
  Json input = Json::object();
  AslResult<Json> out = call->Evaluate(EvalScope{&input, nullptr, nullptr});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error(), (AslError{"States.Runtime", "Invalid arguments in States.MathAdd"}));
}

TEST(IntrinsicParser, LooksLikeIntrinsicNeedsPrefixAndParenthesis) {
  EXPECT_TRUE(LooksLikeIntrinsic("States.Format('x')"));
  EXPECT_TRUE(LooksLikeIntrinsic("States.Whatever("));
  EXPECT_FALSE(LooksLikeIntrinsic("States.Format"));
  EXPECT_FALSE(LooksLikeIntrinsic("$.States.Format('x')"));
  EXPECT_FALSE(LooksLikeIntrinsic(" States.Format('x')"));
}

TEST(IntrinsicParser, CopiesShareTheParsedTree) {
  auto call = IntrinsicCall::Parse("States.MathAdd($.i, 1)");
  ASSERT_TRUE(call.ok());
  IntrinsicCall copy = *call;
  Json input = {{"i", 41}};
  AslResult<Json> out = copy.Evaluate(EvalScope{&input, nullptr, nullptr});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value(), 42);
}

TEST(IntrinsicFunctionName, NamesEveryFunction) {
  EXPECT_EQ(IntrinsicFunctionName(IntrinsicFunction::kFormat), "States.Format");
  EXPECT_EQ(IntrinsicFunctionName(IntrinsicFunction::kUuid), "States.UUID");
  EXPECT_EQ(IntrinsicFunctionName(IntrinsicFunction::kJsonMerge), "States.JsonMerge");
}

}  // namespace
}  // namespace stepd::asl
