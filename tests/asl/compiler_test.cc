#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "stepd/asl/compiler.h"
#include "stepd/asl/states.h"

namespace stepd::asl {
namespace {

Diagnostics Errors(std::string_view def, StateMachineType type = StateMachineType::kStandard) {
  CompileOptions o;
  o.type = type;
  CompileResult r = Compile(def, o);
  EXPECT_FALSE(r.ok());
  return r.diagnostics;
}

TEST(Compiler, ResolvesStatesToIndices) {
  CompileResult r = Compile(R"({"StartAt":"B","States":{"A":{"Type":"Pass","End":true},
      "B":{"Type":"Pass","Next":"A"}}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.machine->root.start, 1);
  EXPECT_EQ(r.machine->root.state(1).next, 0);
  EXPECT_EQ(r.machine->root.state(1).type, StateType::kPass);
  EXPECT_TRUE(r.machine->root.state(0).end);
}

TEST(Compiler, RejectsNonObjectDefinition) {
  auto d = Errors("[1]");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0], (Diagnostic{"SCHEMA_VALIDATION_FAILED", "Definition must be a valid JSON object",
                              Severity::kError, ""}));
}

TEST(Compiler, RequiresStates) {
  auto d = Errors(R"({"StartAt":"A"})");
  EXPECT_EQ(InvalidDefinitionMessage(d),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are "
            "required: [States] at /'");
}

TEST(Compiler, ReportsMissingTransitionTarget) {
  auto d = Errors(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}})");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0], (Diagnostic{"MISSING_TRANSITION_TARGET", "Missing 'Next' target: Nowhere",
                              Severity::kError, "/States/A/Next"}));
}

TEST(Compiler, RejectsUnknownFieldsInAwsWording) {
  auto d = Errors(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"_comment":1}}})");
  EXPECT_EQ(InvalidDefinitionMessage(d),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Field '_comment' is not "
            "supported at /States/A'");
}

TEST(Compiler, RejectsStateNoTransitionNames) {
  auto d = Errors(R"({"StartAt":"Pass One","States":{
      "Pass One":{"Type":"Pass","Next":"Success"},
      "Unreachable pass":{"Type":"Pass","Next":"Success"},
      "Success":{"Type":"Succeed"}}})");
  EXPECT_EQ(InvalidDefinitionMessage(d),
            "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: State \"Unreachable "
            "pass\" is not reachable. at /States/Unreachable pass'");
}

TEST(Compiler, ReportsUnreachableStateAfterMissingTarget) {
  auto d = Errors(R"({"StartAt":"pass1","States":{
      "pass1":{"Type":"Pass","Next":"pass3"},
      "pass2":{"Type":"Pass","End":true}}})");
  EXPECT_EQ(InvalidDefinitionMessage(d),
            "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: "
            "pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State \"pass2\" is not "
            "reachable. at /States/pass2'");
}

TEST(Compiler, CountsReferencesNotAWalkWhenStartAtIsMissing) {
  auto d = Errors(R"({"StartAt":"Not sure","States":{
      "Pass One":{"Type":"Pass","Next":"Success"},"Success":{"Type":"Succeed"}}})");
  EXPECT_EQ(InvalidDefinitionMessage(d),
            "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: "
            "Not sure at /StartAt, MISSING_TRANSITION_TARGET: State \"Pass One\" is not "
            "reachable. at /States/Pass One'");
}

TEST(Compiler, ASelfLoopDoesNotMakeAStateReachable) {
  auto d = Errors(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true},
      "Loop":{"Type":"Pass","Next":"Loop"}}})");
  EXPECT_EQ(InvalidDefinitionMessage(d),
            "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: State \"Loop\" is not "
            "reachable. at /States/Loop'");
}

TEST(Compiler, ChoiceDefaultAndCatchNextMakeStatesReachable) {
  CompileResult r = Compile(R"({"StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"T"}],
           "Default":"D"},
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,
           "Catch":[{"ErrorEquals":["States.ALL"],"Next":"F"}]},
      "D":{"Type":"Succeed"},"F":{"Type":"Fail"}}})");
  EXPECT_TRUE(r.ok()) << InvalidDefinitionMessage(r.diagnostics);
}

TEST(Compiler, ChecksReachabilityInsideParallelBranches) {
  auto d = Errors(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"B":{"Type":"Pass","End":true}}}]}}})");
  EXPECT_EQ(InvalidDefinitionMessage(d),
            "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: State \"B\" is not "
            "reachable. at /States/P/Branches/0/States/B'");
}

TEST(Compiler, RequiresCredentialsRoleArn) {
  auto d = Errors(R"({"StartAt":"State0","States":{"State0":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","Credentials":{},"End":true}}})");
  EXPECT_EQ(InvalidDefinitionMessage(d),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field 'RoleArn' is "
            "required but was missing at /States/State0/Credentials'");
}

TEST(Compiler, RejectsUnknownOptimisedIntegration) {
  auto d = Errors(R"({"StartAt":"Query","States":{"Query":{"Type":"Task",
      "Resource":"arn:aws:states:::dynamodb:query","End":true}}})");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].location, "/States/Query/Resource");
}

TEST(Compiler, TheHttpTaskIsRequestResponseOnly) {
  for (const char* suffix : {".waitForTaskToken", ".sync"}) {
    auto d = Errors(std::string(R"({"StartAt":"H","States":{"H":{"Type":"Task",
        "Resource":"arn:aws:states:::http:invoke)") + suffix + R"(","End":true}}})");
    ASSERT_EQ(d.size(), 1u) << suffix;
    EXPECT_EQ(d[0].location, "/States/H/Resource");
  }
  EXPECT_TRUE(Compile(R"({"StartAt":"H","States":{"H":{"Type":"Task",
      "Resource":"arn:aws:states:::http:invoke","Parameters":{"ApiEndpoint":"https://x","Method":"GET"},
      "End":true}}})").ok());
}

TEST(Compiler, NestedExecutionsTakeTheFourIntegrationPatterns) {
  const auto task = [](const std::string& suffix) {
    return R"({"StartAt":"N","States":{"N":{"Type":"Task",
        "Resource":"arn:aws:states:::states:startExecution)" +
           suffix +
           R"(","Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:c"},
        "End":true}}})";
  };
  for (const char* suffix : {"", ".sync", ".sync:2", ".waitForTaskToken"}) {
    CompileResult r = Compile(task(suffix));
    EXPECT_TRUE(r.ok()) << suffix << ": " << InvalidDefinitionMessage(r.diagnostics);
  }
  for (const char* suffix : {".sync:3", ".async"}) {
    auto d = Errors(task(suffix));
    ASSERT_EQ(d.size(), 1u) << suffix;
    EXPECT_EQ(d[0].location, "/States/N/Resource");
  }
  // EXPRESS machines start nested executions request-response only.
  EXPECT_TRUE(Compile(task(""), {.type = StateMachineType::kExpress}).ok());
  EXPECT_EQ(Errors(task(".sync:2"), StateMachineType::kExpress).size(), 1u);
}

TEST(Compiler, ExpressRejectsWaitForTaskToken) {
  auto d = Errors(R"({"StartAt":"S","States":{"S":{"Type":"Task",
      "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}})",
                  StateMachineType::kExpress);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].message, "Express state machine does not support '.waitForTaskToken' service integration ");
  EXPECT_TRUE(Compile(R"({"StartAt":"S","States":{"S":{"Type":"Task",
      "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}})").ok());
}

TEST(Compiler, StatesAllMustBeTheLastRetrier) {
  auto d = Errors(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}],"End":true}}})");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].location, "/States/T/Retry/0");
}

TEST(Compiler, WaitTimestampMustLookLikeRfc3339) {
  auto d = Errors(R"({"StartAt":"WaitUntil","States":{"WaitUntil":{"Type":"Wait","Timestamp":"05-12-2016","End":true}}})");
  EXPECT_EQ(InvalidDefinitionMessage(d),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: String does not match "
            "RFC3339 timestamp at /States/WaitUntil/Timestamp'");
}

TEST(Compiler, JsonataStatesParseTheirExpressionsOnce) {
  CompileResult r = Compile(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
      "A":{"Type":"Pass","Output":{"x":"{% $states.input.x + 1 %}","lit":"{% no"},"End":true}}})");
  ASSERT_TRUE(r.ok()) << InvalidDefinitionMessage(r.diagnostics);
  const State& a = r.machine->root.state(0);
  EXPECT_TRUE(a.jsonata());
  ASSERT_TRUE(a.output.has_value());
  EXPECT_FALSE(a.output->is_expression());
  EXPECT_FALSE(a.output->is_literal());
}

TEST(Compiler, JsonataSyntaxErrorsAreCaughtAtCreateTime) {
  auto d = Errors(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
      "A":{"Type":"Pass","Output":{"x":"{% $states.input. %}"},"End":true}}})");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, "SCHEMA_VALIDATION_FAILED");
  EXPECT_EQ(d[0].location, "/States/A/Output/x");
  EXPECT_THAT(d[0].message, ::testing::HasSubstr("'Output/x' must be a valid JSONata expression"));
}

TEST(Compiler, StateMayOptIntoJsonataButNotBackToJsonPath) {
  EXPECT_TRUE(Compile(R"({"StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONata",
      "Output":"{% 1 %}","End":true}}})")
                  .ok());
  auto d = Errors(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass",
      "QueryLanguage":"JSONPath","End":true}}})");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].location, "/States/A/QueryLanguage");
}

TEST(Compiler, JsonPathFieldsAreRejectedInJsonataStatesAndViceVersa) {
  auto d = Errors(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","Parameters":{},"ResultPath":"$.r","End":true}}})");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].message, "Field 'Parameters' is not supported");
  EXPECT_EQ(d[1].message, "Field 'ResultPath' is not supported");
  d = Errors(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Output":{},"End":true}}})");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].message, "Field 'Output' is not supported");
}

TEST(Compiler, NestedStatesKeepTheLanguageOfTheirEnclosingState) {
  // A JSONata Map in a JSONPath machine: its processor's states default to
  // the machine's JSONPath, while the Map itself stays JSONata.
  CompileResult r = Compile(R"({"StartAt":"M","States":{"M":{"Type":"Map","QueryLanguage":"JSONata",
      "Items":"{% [1,2] %}","MaxConcurrency":"{% 1 %}","ItemProcessor":{"StartAt":"P","States":{
      "P":{"Type":"Pass","InputPath":"$","End":true}}},"End":true}}})");
  ASSERT_TRUE(r.ok()) << InvalidDefinitionMessage(r.diagnostics);
  const auto& m = static_cast<const MapState&>(r.machine->root.state(0));
  EXPECT_TRUE(m.jsonata());
  EXPECT_TRUE(m.max_concurrency.expression.has_value());
  EXPECT_FALSE(m.processor->state(0).jsonata());
}

TEST(Compiler, JsonataChoiceRulesNeedABooleanOrExpressionCondition) {
  auto d = Errors(R"({"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice",
      "Choices":[{"Condition":"yes","Next":"E"}],"Default":"E"},"E":{"Type":"Succeed"}}})");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].location, "/States/C/Choices/0/Condition");
  d = Errors(R"({"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice",
      "Choices":[{"Variable":"$.x","BooleanEquals":true,"Next":"E"}]},"E":{"Type":"Succeed"}}})");
  std::vector<std::string> messages;
  for (const Diagnostic& e : d) messages.push_back(e.message);
  EXPECT_THAT(messages, ::testing::Contains("Field 'Variable' is not supported"));
}

TEST(Compiler, JsonataMapItemsMustBeAnArrayOrAnExpression) {
  auto d = Errors(R"({"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map",
      "Items":{"a":1},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
      "End":true}}})");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].location, "/States/M/Items");
}

TEST(Compiler, AssignNamesMustBeVariableNames) {
  auto d = Errors(R"({"StartAt":"A","States":{"A":{"Type":"Pass",
      "Assign":{"ok_1":1,"fine.$":"$.x","1st":1,"a-b":2},"End":true}}})");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].location, "/States/A/Assign/1st");
  EXPECT_EQ(d[1].location, "/States/A/Assign/a-b");
  d = Errors(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass",
      "Assign":{"states":1},"End":true}}})");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].message, "The variable name 'states' is not valid: 'states' is reserved");
  EXPECT_TRUE(Compile(R"({"StartAt":"A","States":{"A":{"Type":"Pass",
      "Assign":{"_x":1,"prénom":"é"},"End":true}}})")
                  .ok());
}

TEST(Compiler, MapLabelRejectsInvalidCharacters) {
  auto d = Errors(R"({"StartAt":"M","States":{"M":{"Type":"Map","Label":"a b",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
      "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].location, "/States/M/Label");
}

TEST(Compiler, NestedGraphsGetStableIds) {
  CompileResult r = Compile(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
      "Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
                  {"StartAt":"M","States":{"M":{"Type":"Map","End":true,
                     "ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}}}}}]}}})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.machine->graphs.size(), 4u);
  for (size_t i = 0; i < r.machine->graphs.size(); ++i) EXPECT_EQ(r.machine->graphs[i]->id, static_cast<int>(i));
  EXPECT_EQ(r.machine->graphs[3]->location, "/States/P/Branches/1/States/M/ItemProcessor");
}

TEST(Compiler, DetectsContextUseToSkipBuildingIt) {
  CompileResult r = Compile(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
      "B":{"Type":"Pass","Parameters":{"x.$":"$$.State.Name"},"End":true}}})");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.machine->root.state(0).uses_context);
  EXPECT_TRUE(r.machine->root.state(1).uses_context);
}

TEST(Compiler, ParsesStateMachineType) {
  StateMachineType t;
  EXPECT_TRUE(ParseStateMachineType("express", &t));
  EXPECT_EQ(t, StateMachineType::kExpress);
  EXPECT_FALSE(ParseStateMachineType("FAST", &t));
}

}  // namespace
}  // namespace stepd::asl

namespace stepd::asl {
namespace {

TEST(Compiler, StateNamesAreUniqueAcrossNestedGraphs) {
  CompileResult r = Compile(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
      "Branches":[{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}]}}})");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0], (Diagnostic{"DUPLICATE_STATE_NAME", "Duplicate State name: P",
                                          Severity::kError, "/States/P/Branches/0/States/P"}));
}

}  // namespace
}  // namespace stepd::asl
