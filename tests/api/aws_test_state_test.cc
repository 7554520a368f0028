// TestState through the AWS JSON API.

#include <gtest/gtest.h>

#include <set>

#include "api/aws_testing.h"

namespace stepd::api::testing {
namespace {

std::set<std::string> Keys(const Json& object) {
  std::set<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.insert(it.key());
  return keys;
}

constexpr char kPass[] = R"j({"Type":"Pass","InputPath":"$.data",
  "Parameters":{"total.$":"States.MathAdd($.a, $.b)"},"ResultPath":"$.sum","OutputPath":"$.sum",
  "Next":"Report"})j";

constexpr char kTask[] = R"({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
  "Parameters":{"FunctionName":"price","Payload.$":"$"},
  "ResultSelector":{"price.$":"$.Payload.price"},"ResultPath":"$.quote","Next":"Charge",
  "Retry":[{"ErrorEquals":["Lambda.TooManyRequestsException"],"IntervalSeconds":2,"MaxAttempts":3}],
  "Catch":[{"ErrorEquals":["PriceUnknown"],"ResultPath":"$.error","Next":"AskHuman"}]})";

class AwsTestState : public ::testing::Test {
 protected:
  AwsAnswer Test(Json input) { return stack_.Call("TestState", input); }
  AwsStack stack_;
};

// --- Inspection levels -------------------------------------------------------------

TEST_F(AwsTestState, InfoAnswersStatusOutputAndNextStateOnly) {
  AwsAnswer a = Test({{"definition", kPass}, {"input", R"({"data":{"a":1,"b":2}})"}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body,
            (Json{{"status", "SUCCEEDED"}, {"output", R"({"total":3})"}, {"nextState", "Report"}}));
}

TEST_F(AwsTestState, DebugShowsEveryStepOfAPassStatesPathFields) {
  AwsAnswer a = Test({{"definition", kPass},
                      {"input", R"({"data":{"a":1,"b":2},"keep":true})"},
                      {"inspectionLevel", "DEBUG"}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["status"], "SUCCEEDED");
  EXPECT_EQ(a.body["inspectionData"],
            (Json{{"input", R"({"data":{"a":1,"b":2},"keep":true})"},
                  {"afterInputPath", R"({"a":1,"b":2})"},
                  {"afterParameters", R"({"total":3})"},
                  {"afterResultSelector", R"({"total":3})"},
                  {"afterResultPath", R"({"data":{"a":1,"b":2},"keep":true,"sum":{"total":3}})"}}));
}

TEST_F(AwsTestState, TraceShowsWhatDebugShows) {
  Json request = {{"definition", kPass}, {"input", R"({"data":{"a":1,"b":2}})"}};
  request["inspectionLevel"] = "DEBUG";
  AwsAnswer debug = Test(request);
  request["inspectionLevel"] = "TRACE";
  AwsAnswer trace = Test(request);
  ASSERT_EQ(trace.status, 200) << trace.raw;
  EXPECT_TRUE(trace.body.contains("inspectionData"));
  EXPECT_EQ(trace.body, debug.body);
}

TEST_F(AwsTestState, InspectionLevelOutsideTheEnumIsAValidationError) {
  EXPECT_EQ(ErrorOf(Test({{"definition", kPass}, {"inspectionLevel", "ALL"}})),
            ValidationError("1 validation error detected: Value 'ALL' at 'inspectionLevel' "
                            "failed to satisfy constraint: Member must satisfy enum value set: "
                            "[INFO, DEBUG, TRACE]"));
}

TEST_F(AwsTestState, VariablesInScopeAreReportedWithWhatTheStateAssigns) {
  AwsAnswer a = Test(
      {{"definition",
        R"({"Type":"Pass","Parameters":{"hello.$":"$who"},"Assign":{"seen.$":"$.hello"},"End":true})"},
       {"variables", R"({"who":"world"})"},
       {"inspectionLevel", "DEBUG"}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["output"], R"({"hello":"world"})");
  EXPECT_EQ(Json::parse(a.body["inspectionData"]["variables"].get<std::string>()),
            (Json{{"who", "world"}, {"seen", "world"}}));
  EXPECT_FALSE(a.body.contains("nextState"));
}

// --- Choice and Fail -------------------------------------------------------------

TEST_F(AwsTestState, ChoiceAnswersTheMatchedRulesNextState) {
  const std::string choice = R"({"Type":"Choice","Default":"Small",
    "Choices":[{"Variable":"$.n","NumericGreaterThanEquals":10,"Next":"Big"}]})";
  AwsAnswer big = Test({{"definition", choice}, {"input", R"({"n":12})"}});
  ASSERT_EQ(big.status, 200) << big.raw;
  EXPECT_EQ(big.body,
            (Json{{"status", "SUCCEEDED"}, {"output", R"({"n":12})"}, {"nextState", "Big"}}));
  EXPECT_EQ(Test({{"definition", choice}, {"input", R"({"n":1})"}}).body["nextState"], "Small");
}

TEST_F(AwsTestState, ChoiceWithoutAMatchFailsWithNoChoiceMatched) {
  AwsAnswer a =
      Test({{"definition",
             R"({"Type":"Choice","Choices":[{"Variable":"$.n","IsPresent":true,"Next":"Has"}]})"},
            {"input", "{}"}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body, (Json{{"status", "FAILED"},
                          {"error", "States.NoChoiceMatched"},
                          {"cause", "No Matches! at state 'StateName'"}}));
}

TEST_F(AwsTestState, FailAnswersItsErrorAndCause) {
  AwsAnswer a = Test({{"definition", R"({"Type":"Fail","Error":"Boom","Cause":"it broke"})"},
                      {"inspectionLevel", "DEBUG"}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body, (Json{{"status", "FAILED"},
                          {"error", "Boom"},
                          {"cause", "it broke"},
                          {"inspectionData", {{"input", "{}"}, {"afterInputPath", "{}"}}}}));
}

TEST_F(AwsTestState, WaitAnswersAtOnce) {
  const auto before = std::chrono::steady_clock::now();
  AwsAnswer a = Test({{"definition", R"({"Type":"Wait","Seconds":3600,"Next":"Go"})"}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body, (Json{{"status", "SUCCEEDED"}, {"output", "{}"}, {"nextState", "Go"}}));
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5));
}

// --- Task with a mock --------------------------------------------------------------

TEST_F(AwsTestState, TaskMockResultFlowsThroughItsResultFields) {
  AwsAnswer a = Test({{"definition", kTask},
                      {"input", R"({"item":"tea"})"},
                      {"mock", {{"result", R"({"Payload":{"price":4},"StatusCode":200})"}}},
                      {"inspectionLevel", "DEBUG"}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["status"], "SUCCEEDED");
  EXPECT_EQ(a.body["nextState"], "Charge");
  EXPECT_EQ(a.body["output"], R"({"item":"tea","quote":{"price":4}})");
  const Json& in = a.body["inspectionData"];
  EXPECT_EQ(Keys(in), (std::set<std::string>{"input", "afterInputPath", "afterParameters", "result",
                                             "afterResultSelector", "afterResultPath"}));
  EXPECT_EQ(in["afterParameters"], R"({"FunctionName":"price","Payload":{"item":"tea"}})");
  EXPECT_EQ(in["result"], R"({"Payload":{"price":4},"StatusCode":200})");
  EXPECT_EQ(in["afterResultSelector"], R"({"price":4})");
}

TEST_F(AwsTestState, TaskMockErrorARetrierMatchesIsRetriable) {
  AwsAnswer a = Test(
      {{"definition", kTask},
       {"mock",
        {{"errorOutput", {{"error", "Lambda.TooManyRequestsException"}, {"cause", "slow down"}}}}},
       {"inspectionLevel", "DEBUG"}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["status"], "RETRIABLE");
  EXPECT_EQ(a.body["error"], "Lambda.TooManyRequestsException");
  EXPECT_EQ(a.body["cause"], "slow down");
  EXPECT_FALSE(a.body.contains("output"));
  EXPECT_FALSE(a.body.contains("nextState"));
  EXPECT_EQ(a.body["inspectionData"]["errorDetails"],
            (Json{{"retryIndex", 0}, {"retryBackoffIntervalSeconds", 2}}));
}

TEST_F(AwsTestState, TaskMockErrorPastItsRetriesFails) {
  AwsAnswer a = Test({{"definition", kTask},
                      {"mock", {{"errorOutput", {{"error", "Lambda.TooManyRequestsException"}}}}},
                      {"stateConfiguration", {{"retrierRetryCount", 3}}}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body, (Json{{"status", "FAILED"}, {"error", "Lambda.TooManyRequestsException"}}));
}

TEST_F(AwsTestState, TaskMockErrorACatcherMatchesIsCaught) {
  AwsAnswer a = Test({{"definition", kTask},
                      {"input", R"({"item":"tea"})"},
                      {"mock", {{"errorOutput", {{"error", "PriceUnknown"}, {"cause", "no tea"}}}}},
                      {"inspectionLevel", "DEBUG"}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["status"], "CAUGHT_ERROR");
  EXPECT_EQ(a.body["error"], "PriceUnknown");
  EXPECT_EQ(a.body["cause"], "no tea");
  EXPECT_EQ(a.body["nextState"], "AskHuman");
  EXPECT_EQ(a.body["output"],
            R"({"item":"tea","error":{"Error":"PriceUnknown","Cause":"no tea"}})");
  EXPECT_EQ(a.body["inspectionData"]["errorDetails"], (Json{{"catchIndex", 0}}));
}

TEST_F(AwsTestState, TaskMockErrorNothingHandlesFails) {
  AwsAnswer a = Test(
      {{"definition", kTask}, {"mock", {{"errorOutput", {{"error", "Other"}, {"cause", "x"}}}}}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body, (Json{{"status", "FAILED"}, {"error", "Other"}, {"cause", "x"}}));
}

TEST_F(AwsTestState, TaskWithoutAMockIsRefused) {
  EXPECT_EQ(ErrorOf(Test({{"definition", kTask}, {"roleArn", kRoleArn}})),
            ValidationError("TestState needs a mock to test the Task state 'StateName': stepd "
                            "does not call its resource 'arn:aws:states:::lambda:invoke' from "
                            "TestState. Give mock.result or mock.errorOutput"));
}

// --- Refusals --------------------------------------------------------------------

TEST_F(AwsTestState, MockWithBothResultAndErrorIsRefused) {
  const Json both = {{"result", "1"}, {"errorOutput", {{"error", "E"}}}};
  const AwsErrorAnswer expected = ValidationError(
      "A test mock should have only one of the following fields: [result, errorOutput].");
  EXPECT_EQ(ErrorOf(Test({{"definition", kTask}, {"mock", both}})), expected);
  EXPECT_EQ(ErrorOf(Test({{"definition", kTask}, {"mock", Json::object()}})), expected);
}

TEST_F(AwsTestState, MockErrorOutputNeedsAnError) {
  EXPECT_EQ(ErrorOf(Test({{"definition", kTask}, {"mock", {{"errorOutput", {{"cause", "c"}}}}}})),
            ValidationError("1 validation error detected: Value null at 'mock.errorOutput.error' "
                            "failed to satisfy constraint: Member must not be null"));
}

TEST_F(AwsTestState, MockResultMustBeJson) {
  EXPECT_EQ(ErrorOf(Test({{"definition", kTask}, {"mock", {{"result", "{not json"}}}})),
            ValidationError("Mocked result must be valid JSON"));
}

TEST_F(AwsTestState, MockOnAPassStateIsRefused) {
  EXPECT_EQ(ErrorOf(Test({{"definition", kPass}, {"mock", {{"result", "{}"}}}})),
            ValidationError("State type 'Pass' is not supported when a mock is specified"));
}

TEST_F(AwsTestState, RevealSecretsWithAMockIsRefused) {
  EXPECT_EQ(
      ErrorOf(Test({{"definition", kTask}, {"mock", {{"result", "{}"}}}, {"revealSecrets", true}})),
      ValidationError("TestState does not support RevealSecrets when a mock is specified."));
}

TEST_F(AwsTestState, ContextNeedsAMock) {
  EXPECT_EQ(ErrorOf(Test({{"definition", kPass}, {"context", "{}"}})),
            ValidationError("context may only be specified together with a mock"));
}

TEST_F(AwsTestState, ContextIsMergedOverTheContextObject) {
  AwsAnswer a = Test(
      {{"definition",
        R"({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultSelector":{"who.$":"$$.Execution.Name","state.$":"$$.State.Name"},"End":true})"},
       {"mock", {{"result", "{}"}}},
       {"context", R"({"Execution":{"Name":"given"}})"}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["output"], R"({"who":"given","state":"StateName"})");
}

TEST_F(AwsTestState, MapStateConfigurationIsRefused) {
  EXPECT_EQ(ErrorOf(Test({{"definition", kTask},
                          {"mock", {{"result", "[]"}}},
                          {"stateConfiguration", {{"mapIterationFailureCount", 1}}}})),
            ValidationError("stepd does not support stateConfiguration.mapIterationFailureCount: "
                            "a mocked Map state's result stands for all of its iterations"));
}

TEST_F(AwsTestState, InvalidDefinitionAnswersTheCompilersMessage) {
  EXPECT_EQ(ErrorOf(Test({{"definition", R"({"Type":"Pass"})"}})),
            StatesError("InvalidDefinition",
                        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: No "
                        "transition found: exactly one of these fields is required: [End, Next] "
                        "at /'"));
}

TEST_F(AwsTestState, InputThatIsNotJsonIsInvalidExecutionInput) {
  AwsAnswer a = Test({{"definition", kPass}, {"input", "{oops"}});
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.type(), std::string(kStatesNs) + "InvalidExecutionInput");
  EXPECT_EQ(a.message().rfind("Invalid State Machine Execution Input: '", 0), 0u) << a.message();
}

TEST_F(AwsTestState, VariablesMustBeAJsonObject) {
  EXPECT_EQ(ErrorOf(Test({{"definition", kPass}, {"variables", "[1]"}})),
            ValidationError("variables must be a JSON object of variable names to their values"));
}

TEST_F(AwsTestState, DefinitionIsRequired) {
  EXPECT_EQ(ErrorOf(Test(Json::object())),
            ValidationError("1 validation error detected: Value null at 'definition' failed to "
                            "satisfy constraint: Member must not be null"));
}

// --- Whole machines, Parallel ---------------------------------------------------------

TEST_F(AwsTestState, StateNameTestsOneStateOfAWholeMachine) {
  AwsAnswer a = Test({{"definition", kPassDefinition}, {"stateName", "P"}, {"input", "[1]"}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body, (Json{{"status", "SUCCEEDED"}, {"output", "[1]"}}));
  EXPECT_EQ(ErrorOf(Test({{"definition", kPassDefinition}, {"stateName", "Q"}})),
            ValidationError("State 'Q' is not in the definition"));
}

TEST_F(AwsTestState, ParallelWithoutTasksRunsInline) {
  AwsAnswer a = Test({{"definition", R"({"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Pass","Result":"a","End":true}}},
      {"StartAt":"B","States":{"B":{"Type":"Pass","Result":"b","End":true}}}]})"}});
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body, (Json{{"status", "SUCCEEDED"}, {"output", R"(["a","b"])"}}));
}

// TestState may call HTTP endpoints with a stored connection's credentials:
// an operator's permission, not a viewer's.
TEST_F(AwsTestState, AnOperatorMayTestAStateAViewerMayNot) {
  StackOptions options;
  options.auth.access_keys.push_back({"AKIAVIEWER00000001", "viewer-secret", "v", Role::kViewer});
  options.auth.access_keys.push_back(
      {"AKIAOPERATOR000001", "operator-secret", "o", Role::kOperator});
  AwsStack stack(options);
  auto test_as = [&](const std::string& key, const std::string& secret) {
    http::Request request = AwsStack::Request(
        "TestState", Json{{"definition", kPass}, {"input", R"({"data":{"a":1,"b":1}})"}}.dump());
    AwsStack::Sign(&request, key, secret);
    return stack.Send(std::move(request));
  };
  AwsAnswer a = test_as("AKIAOPERATOR000001", "operator-secret");
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["output"], R"({"total":2})");
  AwsAnswer refused = test_as("AKIAVIEWER00000001", "viewer-secret");
  EXPECT_EQ(refused.status, 403) << refused.raw;
  EXPECT_EQ(refused.type(), "AccessDeniedException");
}

}  // namespace
}  // namespace stepd::api::testing
