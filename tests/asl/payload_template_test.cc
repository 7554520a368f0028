#include "stepd/asl/payload_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace stepd::asl {
namespace {

class FakeVariables : public VariableLookup {
 public:
  explicit FakeVariables(Json vars) : vars_(std::move(vars)) {}
  const Json* Find(std::string_view name) const override {
    auto it = vars_.find(std::string(name));
    return it == vars_.end() ? nullptr : &*it;
  }

 private:
  Json vars_;
};

PayloadTemplate CompileOk(const Json& tmpl) {
  Diagnostics diagnostics;
  auto compiled = PayloadTemplate::Compile(tmpl, "/States/A/Parameters", &diagnostics);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_TRUE(diagnostics.empty());
  return std::move(compiled).value();
}

Json EvaluateOk(const PayloadTemplate& tmpl, const Json& input, const Json& context = Json(),
                const VariableLookup* vars = nullptr) {
  AslResult<Json> out = tmpl.Evaluate(EvalScope{&input, &context, vars});
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().cause);
  return out.ok() ? out.value() : Json("<error>");
}

TEST(PayloadTemplate, CopiesLiteralsAndResolvesDynamicKeys) {
  PayloadTemplate tmpl = CompileOk(Json::parse(R"({"x.$": "$.x", "name.$": "$.name", "step": 3})"));
  EXPECT_FALSE(tmpl.IsLiteral());
  EXPECT_EQ(EvaluateOk(tmpl, Json::parse(R"({"x": [1, 2], "name": "n", "other": true})")),
            Json::parse(R"({"x": [1, 2], "name": "n", "step": 3})"));
}

TEST(PayloadTemplate, KeepsTemplateKeyOrder) {
  PayloadTemplate tmpl = CompileOk(Json::parse(R"({"b": 1, "a.$": "$.a", "c": 2})"));
  EXPECT_EQ(EvaluateOk(tmpl, Json{{"a", 0}}).dump(), R"({"b":1,"a":0,"c":2})");
}

TEST(PayloadTemplate, ResolvesNestedObjectsAndArrays) {
  PayloadTemplate tmpl = CompileOk(Json::parse(
      R"({"outer": {"inner.$": "$.v", "list": [1, {"deep.$": "$.w"}, "$.not_a_path"]}})"));
  EXPECT_EQ(EvaluateOk(tmpl, Json{{"v", "V"}, {"w", 2}}),
            Json::parse(R"({"outer": {"inner": "V", "list": [1, {"deep": 2}, "$.not_a_path"]}})"));
}

TEST(PayloadTemplate, LiteralTemplateIsCopiedAsIs) {
  Json literal = Json::parse(R"j({"a": "$.x", "b": ["States.Format('{}', 1)"], "c": {"d": null}})j");
  PayloadTemplate tmpl = CompileOk(literal);
  EXPECT_TRUE(tmpl.IsLiteral());
  EXPECT_EQ(EvaluateOk(tmpl, Json::object()), literal);
  EXPECT_EQ(EvaluateOk(CompileOk(Json(5)), Json::object()), 5);
}

TEST(PayloadTemplate, ReadsContextAndVariables) {
  FakeVariables vars(Json{{"answer", "It's {}!"}, {"cfg", {{"n", 7}}}});
  PayloadTemplate tmpl = CompileOk(Json::parse(
      R"j({"id.$": "$$.Execution.Id", "n.$": "$cfg.n",
          "say.$": "States.Format($answer, $$.Map.Item.Value)"})j"));
  Json context = Json::parse(R"({"Execution": {"Id": "arn:x"}, "Map": {"Item": {"Value": "Pikachu"}}})");
  EXPECT_EQ(EvaluateOk(tmpl, Json::object(), context, &vars),
            Json::parse(R"({"id": "arn:x", "n": 7, "say": "It's Pikachu!"})"));
}

TEST(PayloadTemplate, EvaluatesIntrinsics) {
  PayloadTemplate tmpl = CompileOk(Json::parse(
      R"j({"next.$": "States.MathAdd($.i, 1)",
          "merged.$": "States.JsonMerge(States.StringToJson('{\"c\": \"false\"}'), $$.Execution.Input.f, false)"})j"));
  Json context = Json::parse(R"({"Execution": {"Input": {"f": {"k": "v"}}}})");
  EXPECT_EQ(EvaluateOk(tmpl, Json{{"i", 1}}, context),
            Json::parse(R"({"next": 2, "merged": {"c": "false", "k": "v"}})"));
}

TEST(PayloadTemplate, IndefinitePathGivesArrayOfMatches) {
  PayloadTemplate tmpl = CompileOk(Json::parse(R"({"all.$": "$.items[*]"})"));
  EXPECT_EQ(EvaluateOk(tmpl, Json{{"items", {1, 2}}}), Json::parse(R"({"all": [1, 2]})"));
}

TEST(PayloadTemplate, MissingDefinitePathIsRuntimeErrorNamingFieldPathAndInput) {
  PayloadTemplate tmpl = CompileOk(Json::parse(R"({"value.$": "$.no_such_jsonpath"})"));
  Json input = {{"int-literal", 0}};
  AslResult<Json> out = tmpl.Evaluate(EvalScope{&input, nullptr, nullptr});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error(),
            (AslError{"States.Runtime",
                      "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could "
                      "not be found in the input '{\"int-literal\":0}'"}));
}

TEST(PayloadTemplate, MissingContextPathNamesTheStateInput) {
  PayloadTemplate tmpl =
      CompileOk(Json::parse(R"({"nested": {"value.$": "$$.Execution.Input.nope"}})"));
  Json input = Json::object();
  Json context = Json::parse(R"({"Execution": {"Input": {}}})");
  AslResult<Json> out = tmpl.Evaluate(EvalScope{&input, &context, nullptr});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().cause,
            "The JSONPath '$$.Execution.Input.nope' specified for the field 'value.$' could not "
            "be found in the input '{}'");
}

TEST(PayloadTemplate, FailingIntrinsicPassesItsErrorThrough) {
  PayloadTemplate tmpl = CompileOk(Json::parse(R"j({"r.$": "States.ArrayRange(1, 2000, 1)"})j"));
  AslResult<Json> out = tmpl.Evaluate(EvalScope{nullptr, nullptr, nullptr});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error(), (AslError{"States.Runtime", "Invalid arguments in States.ArrayRange"}));
}

TEST(PayloadTemplate, IllegalEscapeInIntrinsicIsCreateTimeDiagnostic) {
  Diagnostics diagnostics;
  Json tmpl = Json::parse(
      R"j({"parsed.$": "States.StringToJson('{\"text\":\"An \\\"escaped double quote\\\" here\"}')"})j");
  auto compiled = PayloadTemplate::Compile(tmpl, "/States/IntrinsicEscape/Parameters", &diagnostics);
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status(),
            InvalidArgumentError("The value for the field 'parsed.$' must be a valid JSONPath or "
                                 "a valid intrinsic function call at "
                                 "/States/IntrinsicEscape/Parameters"));
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0],
            (Diagnostic{"SCHEMA_VALIDATION_FAILED",
                        "The value for the field 'parsed.$' must be a valid JSONPath or a valid "
                        "intrinsic function call",
                        Severity::kError, "/States/IntrinsicEscape/Parameters"}));
}

TEST(PayloadTemplate, RejectsValuesThatAreNeitherPathNorIntrinsic) {
  for (const char* value :
       {R"("plain")", R"j("States.Nope(1)")j", R"j("States.Array(")j", R"(5)", R"(null)",
        R"({"a": 1})", R"("$.a[")"}) {
    Diagnostics diagnostics;
    Json tmpl = Json::parse(std::string(R"({"ok": 1, "bad.$": )") + value + "}");
    auto compiled = PayloadTemplate::Compile(tmpl, "/States/A/Parameters", &diagnostics);
    EXPECT_FALSE(compiled.ok()) << value;
    ASSERT_EQ(diagnostics.size(), 1u) << value;
    EXPECT_EQ(diagnostics[0].message,
              "The value for the field 'bad.$' must be a valid JSONPath or a valid intrinsic "
              "function call");
  }
}

TEST(PayloadTemplate, ReportsNestedProblemsAtTheirObjectAndAllOfThem) {
  Diagnostics diagnostics;
  Json tmpl = Json::parse(R"({"a.$": "x", "n": {"b.$": "y"}, "l": [{"c.$": "z"}]})");
  auto compiled = PayloadTemplate::Compile(tmpl, "/States/A/Parameters", &diagnostics);
  ASSERT_FALSE(compiled.ok());
  ASSERT_EQ(diagnostics.size(), 3u);
  EXPECT_EQ(diagnostics[0].location, "/States/A/Parameters");
  EXPECT_EQ(diagnostics[1].location, "/States/A/Parameters/n");
  EXPECT_EQ(diagnostics[2].location, "/States/A/Parameters/l/0");
}

TEST(PayloadTemplate, RejectsKeyThatCollidesAfterStrippingSuffix) {
  Diagnostics diagnostics;
  auto compiled = PayloadTemplate::Compile(Json::parse(R"({"a": 1, "a.$": "$.a"})"),
                                           "/States/A/Parameters", &diagnostics);
  ASSERT_FALSE(compiled.ok());
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].message, "The field 'a' and the field 'a.$' cannot both be present");
}

TEST(PayloadTemplate, WorksWithoutDiagnosticsSink) {
  auto compiled = PayloadTemplate::Compile(Json::parse(R"({"a.$": 1})"), "/x", nullptr);
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), StatusCode::kInvalidArgument);
}

TEST(PayloadTemplate, CopiesShareTheCompiledTree) {
  PayloadTemplate a = CompileOk(Json::parse(R"({"x.$": "$.x"})"));
  PayloadTemplate b = a;
  EXPECT_EQ(EvaluateOk(b, Json{{"x", 1}}), Json::parse(R"({"x": 1})"));
}

}  // namespace
}  // namespace stepd::asl
