#include "stepd/asl/test_state.h"

#include <gtest/gtest.h>

#include "asl/asl_run_testing.h"

namespace stepd::asl {
namespace {

TestStateRequest Request(std::string definition, Json input = Json::object()) {
  TestStateRequest r;
  r.definition = std::move(definition);
  r.input = std::move(input);
  r.execution = testing::TestInfo();
  r.execution.start_time = testing::TestStart();
  return r;
}

TestStateMock MockResult(Json result) { return TestStateMock{std::move(result), std::nullopt}; }
TestStateMock MockError(std::string error, std::string cause) {
  return TestStateMock{std::nullopt, AslError{std::move(error), std::move(cause)}};
}

// The outcome of a request that must run; ADD_FAILURE when it was rejected.
TestStateResult RunState(const TestStateRequest& request) {
  TestStateOutcome o = TestState(request);
  if (o.rejection) ADD_FAILURE() << "rejected: " << o.rejection->message;
  return o.result;
}

// The rejection of a request that must not run.
TestStateRejection Rejected(const TestStateRequest& request) {
  TestStateOutcome o = TestState(request);
  if (!o.rejection) {
    ADD_FAILURE() << "ran with status " << TestStateStatusName(o.result.status);
    return {};
  }
  return *o.rejection;
}

constexpr char kTaskWithHandlers[] = R"({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
  "Retry":[{"ErrorEquals":["Other"]},
           {"ErrorEquals":["Flaky"],"IntervalSeconds":3,"BackoffRate":2,"MaxAttempts":2}],
  "Catch":[{"ErrorEquals":["Other"],"Next":"Elsewhere"},
           {"ErrorEquals":["Flaky","Broken"],"ResultPath":"$.failure","Next":"Recover"}],
  "Next":"Done"})";

// --- Pass --------------------------------------------------------------------

TEST(TestStatePass, RecordsEveryStepOfItsPathFields) {
  TestStateResult r = RunState(Request(R"j({"Type":"Pass","InputPath":"$.data",
      "Parameters":{"sum.$":"States.MathAdd($.a, $.b)","name.$":"$$.State.Name"},
      "ResultPath":"$.out","OutputPath":"$.out","Next":"Done"})j",
                                       Json{{"data", {{"a", 1}, {"b", 2}}}, {"keep", true}}));
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_EQ(r.next_state, "Done");
  EXPECT_EQ(r.output, (Json{{"sum", 3}, {"name", "StateName"}}));
  EXPECT_FALSE(r.error.has_value());
  const TestStateInspection& in = r.inspection;
  EXPECT_EQ(in.input, (Json{{"data", {{"a", 1}, {"b", 2}}}, {"keep", true}}));
  EXPECT_EQ(in.after_input_path, (Json{{"a", 1}, {"b", 2}}));
  EXPECT_EQ(in.after_parameters, (Json{{"sum", 3}, {"name", "StateName"}}));
  EXPECT_FALSE(in.result.has_value()) << "a Pass without Result has its input as result";
  EXPECT_EQ(in.after_result_selector, (Json{{"sum", 3}, {"name", "StateName"}}));
  EXPECT_EQ(in.after_result_path, (Json{{"data", {{"a", 1}, {"b", 2}}},
                                        {"keep", true},
                                        {"out", {{"sum", 3}, {"name", "StateName"}}}}));
  EXPECT_FALSE(in.variables.has_value());
}

TEST(TestStatePass, WithResultSkipsTheInputStepsAndShowsTheResult) {
  TestStateResult r = RunState(Request(
      R"({"Type":"Pass","Result":{"r":1},"ResultPath":"$.x","End":true})", Json{{"in", 0}}));
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_FALSE(r.next_state.has_value());
  EXPECT_EQ(r.output, (Json{{"in", 0}, {"x", {{"r", 1}}}}));
  EXPECT_FALSE(r.inspection.after_input_path.has_value());
  EXPECT_FALSE(r.inspection.after_parameters.has_value());
  EXPECT_EQ(r.inspection.result, (Json{{"r", 1}}));
  EXPECT_EQ(r.inspection.after_result_path, (Json{{"in", 0}, {"x", {{"r", 1}}}}));
}

TEST(TestStatePass, SeesTheGivenVariablesAndReportsThemWithWhatItAssigns) {
  TestStateRequest req = Request(
      R"({"Type":"Pass","Parameters":{"seen.$":"$greeting","n.$":"$.n"},
          "Assign":{"count.$":"$.n"},"End":true})",
      Json{{"n", 7}});
  req.variables = Json{{"greeting", "hi"}, {"count", 0}};
  TestStateResult r = RunState(req);
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_EQ(r.output, (Json{{"seen", "hi"}, {"n", 7}}));
  EXPECT_EQ(r.inspection.variables, (Json{{"greeting", "hi"}, {"count", 7}}));
}

TEST(TestStatePass, ContextIsMergedOverTheContextObject) {
  TestStateRequest req = Request(
      R"({"Type":"Pass","Parameters":{"name.$":"$$.Execution.Name","state.$":"$$.State.Name",
          "extra.$":"$$.Custom"},"End":true})");
  req.context = Json{{"Execution", {{"Name", "given"}}}, {"Custom", 5}};
  TestStateResult r = RunState(req);
  EXPECT_EQ(r.output, (Json{{"name", "given"}, {"state", "StateName"}, {"extra", 5}}));
}

TEST(TestStatePass, PathErrorFailsWithTheInterpretersMessage) {
  TestStateResult r = RunState(Request(R"({"Type":"Pass","InputPath":"$.missing","End":true})"));
  EXPECT_EQ(r.status, TestStateStatus::kFailed);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->error, "States.Runtime");
  EXPECT_EQ(r.error->cause,
            "An error occurred while executing the state 'StateName' (entered at the event id "
            "#1). Invalid path '$.missing' : No results for path: $['missing']");
  EXPECT_FALSE(r.output.has_value());
}

// --- Choice, Wait, Succeed, Fail -------------------------------------------------

constexpr char kChoice[] = R"({"Type":"Choice","InputPath":"$.order",
  "Choices":[{"Variable":"$.total","NumericGreaterThan":100,"Next":"Review"},
             {"Variable":"$.total","NumericGreaterThan":10,"Next":"Ship"}]%s})";

std::string Choice(const std::string& default_field) {
  std::string d = kChoice;
  d.replace(d.find("%s"), 2, default_field);
  return d;
}

TEST(TestStateChoice, NextStateIsTheFirstMatchingRule) {
  TestStateResult r = RunState(Request(Choice(""), Json{{"order", {{"total", 50}}}}));
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_EQ(r.next_state, "Ship");
  EXPECT_EQ(r.output, (Json{{"total", 50}}));
  EXPECT_EQ(r.inspection.after_input_path, (Json{{"total", 50}}));
  EXPECT_FALSE(r.inspection.after_result_path.has_value());
}

TEST(TestStateChoice, FallsToDefaultWhenNoRuleMatches) {
  TestStateResult r =
      RunState(Request(Choice(R"(,"Default":"Cheap")"), Json{{"order", {{"total", 5}}}}));
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_EQ(r.next_state, "Cheap");
}

TEST(TestStateChoice, FailsWithNoChoiceMatchedWithoutDefault) {
  TestStateResult r = RunState(Request(Choice(""), Json{{"order", {{"total", 5}}}}));
  EXPECT_EQ(r.status, TestStateStatus::kFailed);
  EXPECT_EQ(r.error, (AslError{"States.NoChoiceMatched", "No Matches! at state 'StateName'"}));
  EXPECT_FALSE(r.next_state.has_value());
}

TEST(TestStateWait, MovesOnAtOnceWithItsNextState) {
  TestStateResult r = RunState(Request(
      R"({"Type":"Wait","Seconds":86400,"OutputPath":"$.a","Next":"Later"})", Json{{"a", 1}}));
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_EQ(r.next_state, "Later");
  EXPECT_EQ(r.output, Json(1));
}

TEST(TestStateWait, FailsOnATimestampThatIsNotOne) {
  TestStateResult r = RunState(
      Request(R"({"Type":"Wait","TimestampPath":"$.t","End":true})", Json{{"t", "tomorrow"}}));
  EXPECT_EQ(r.status, TestStateStatus::kFailed);
  EXPECT_EQ(r.error->error, "States.Runtime");
  EXPECT_NE(r.error->cause.find("$.t == tomorrow"), std::string::npos) << r.error->cause;
}

TEST(TestStateSucceed, OutputsItsInputThroughItsPaths) {
  TestStateResult r =
      RunState(Request(R"({"Type":"Succeed","InputPath":"$.a"})", Json{{"a", {{"b", 2}}}}));
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_EQ(r.output, (Json{{"b", 2}}));
  EXPECT_FALSE(r.next_state.has_value());
  EXPECT_EQ(r.inspection.after_input_path, (Json{{"b", 2}}));
}

TEST(TestStateFail, FailsWithItsErrorAndCause) {
  TestStateResult r = RunState(
      Request(R"({"Type":"Fail","Error":"Boom","CausePath":"$.why"})", Json{{"why", "it broke"}}));
  EXPECT_EQ(r.status, TestStateStatus::kFailed);
  EXPECT_EQ(r.error, (AslError{"Boom", "it broke"}));
  EXPECT_FALSE(r.output.has_value());
  EXPECT_EQ(r.inspection.after_input_path, (Json{{"why", "it broke"}}));
}

// --- Task ----------------------------------------------------------------------

TEST(TestStateTask, MockResultFlowsThroughResultSelectorResultPathAndOutputPath) {
  TestStateRequest req = Request(R"({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "InputPath":"$.req","Parameters":{"FunctionName":"f","Payload.$":"$"},
      "ResultSelector":{"value.$":"$.Payload.v"},"ResultPath":"$.res","OutputPath":"$.res",
      "Next":"After"})",
                                 Json{{"req", {{"id", 9}}}});
  req.mock = MockResult(Json{{"Payload", {{"v", 42}}}, {"StatusCode", 200}});
  TestStateResult r = RunState(req);
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_EQ(r.next_state, "After");
  EXPECT_EQ(r.output, (Json{{"value", 42}}));
  const TestStateInspection& in = r.inspection;
  EXPECT_EQ(in.after_input_path, (Json{{"id", 9}}));
  EXPECT_EQ(in.after_parameters, (Json{{"FunctionName", "f"}, {"Payload", {{"id", 9}}}}));
  EXPECT_EQ(in.result, (Json{{"Payload", {{"v", 42}}}, {"StatusCode", 200}}));
  EXPECT_EQ(in.after_result_selector, (Json{{"value", 42}}));
  EXPECT_EQ(in.after_result_path, (Json{{"req", {{"id", 9}}}, {"res", {{"value", 42}}}}));
}

TEST(TestStateTask, MockErrorMatchingARetrierWithAttemptsLeftIsRetriable) {
  TestStateRequest req = Request(kTaskWithHandlers);
  req.mock = MockError("Flaky", "try again");
  req.retrier_retry_count = 1;
  TestStateResult r = RunState(req);
  EXPECT_EQ(r.status, TestStateStatus::kRetriable);
  EXPECT_EQ(r.error, (AslError{"Flaky", "try again"}));
  EXPECT_FALSE(r.output.has_value());
  EXPECT_FALSE(r.next_state.has_value());
  EXPECT_EQ(r.inspection.retry_index, 1);
  EXPECT_EQ(r.inspection.retry_backoff_seconds, 6) << "3 s, doubled once";
  EXPECT_FALSE(r.inspection.catch_index.has_value());
}

TEST(TestStateTask, MockErrorWhoseRetrierIsSpentIsCaught) {
  TestStateRequest req = Request(kTaskWithHandlers, Json{{"id", 1}});
  req.mock = MockError("Flaky", "again");
  req.retrier_retry_count = 2;  // MaxAttempts
  TestStateResult r = RunState(req);
  EXPECT_EQ(r.status, TestStateStatus::kCaughtError);
  EXPECT_EQ(r.error, (AslError{"Flaky", "again"}));
  EXPECT_EQ(r.next_state, "Recover");
  EXPECT_EQ(r.output, (Json{{"id", 1}, {"failure", {{"Error", "Flaky"}, {"Cause", "again"}}}}));
  EXPECT_EQ(r.inspection.catch_index, 1);
  EXPECT_FALSE(r.inspection.retry_index.has_value());
}

TEST(TestStateTask, MockErrorOnlyACatcherNamesIsCaught) {
  TestStateRequest req = Request(kTaskWithHandlers, Json{{"id", 1}});
  req.mock = MockError("Broken", "");
  TestStateResult r = RunState(req);
  EXPECT_EQ(r.status, TestStateStatus::kCaughtError);
  EXPECT_EQ(r.next_state, "Recover");
  EXPECT_EQ(r.output, (Json{{"id", 1}, {"failure", {{"Error", "Broken"}, {"Cause", ""}}}}));
}

TEST(TestStateTask, MockErrorNothingHandlesFails) {
  TestStateRequest req = Request(kTaskWithHandlers);
  req.mock = MockError("Unknown", "nobody expects it");
  TestStateResult r = RunState(req);
  EXPECT_EQ(r.status, TestStateStatus::kFailed);
  EXPECT_EQ(r.error, (AslError{"Unknown", "nobody expects it"}));
  EXPECT_FALSE(r.next_state.has_value());
  EXPECT_FALSE(r.output.has_value());
}

TEST(TestStateTask, MockedHeartbeatTimeoutIsReportedAsTimeoutAndRetriedByItsName) {
  TestStateRequest req = Request(R"({"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
      "HeartbeatSeconds":5,"Retry":[{"ErrorEquals":["States.HeartbeatTimeout"]}],"End":true})");
  req.mock = MockError("States.HeartbeatTimeout", "no heartbeat");
  TestStateResult r = RunState(req);
  EXPECT_EQ(r.status, TestStateStatus::kRetriable);
  EXPECT_EQ(r.error, (AslError{"States.Timeout", "no heartbeat"}));
  EXPECT_EQ(r.inspection.retry_backoff_seconds, 1);
}

TEST(TestStateTask, WithoutAMockIsRefused) {
  TestStateRejection r = Rejected(Request(
      R"({"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:work","End":true})"));
  EXPECT_EQ(r.kind, TestStateRejection::Kind::kInvalidRequest);
  EXPECT_EQ(r.message,
            "TestState needs a mock to test the Task state 'StateName': stepd does not call its "
            "resource 'arn:aws:states:us-east-1:123456789012:activity:work' from TestState. Give "
            "mock.result or mock.errorOutput");
}

TEST(TestStateTask, ActivityWithAMockRuns) {
  TestStateRequest req = Request(
      R"({"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:work","End":true})");
  req.mock = MockResult(Json{{"done", true}});
  TestStateResult r = RunState(req);
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_EQ(r.output, (Json{{"done", true}}));
}

TEST(TestStateMock, IsRefusedForStatesWithoutAResource) {
  for (const char* def : {R"({"Type":"Pass","End":true})", R"({"Type":"Succeed"})",
                          R"({"Type":"Fail","Error":"E"})"}) {
    TestStateRequest req = Request(def);
    req.mock = MockResult(Json(1));
    TestStateRejection r = Rejected(req);
    const std::string type = ParseJson(def).value()["Type"];
    EXPECT_EQ(r.message, "State type '" + type + "' is not supported when a mock is specified");
  }
}

// --- Parallel and Map ------------------------------------------------------------

constexpr char kParallel[] = R"({"Type":"Parallel","ResultPath":"$.branches","Next":"Join",
  "Branches":[
    {"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a.$":"$.x"},"End":true}}},
    {"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":3600,"Next":"C"},
                             "C":{"Type":"Pass","Result":"waited","End":true}}}]})";

TEST(TestStateParallel, WithoutTasksRunsItsBranchesInlineWithoutWaiting) {
  TestStateResult r = RunState(Request(kParallel, Json{{"x", 1}}));
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_EQ(r.next_state, "Join");
  EXPECT_EQ(r.output, (Json{{"x", 1}, {"branches", Json::array({{{"a", 1}}, "waited"})}}));
  EXPECT_EQ(r.inspection.result, Json::array({{{"a", 1}}, "waited"}));
}

TEST(TestStateParallel, WithATaskInsideNeedsAMock) {
  TestStateRejection r = Rejected(Request(R"({"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}]})"));
  EXPECT_EQ(r.message,
            "TestState runs a Parallel state without a mock only when no Task state is inside "
            "it, and 'T' is one: give a mock for the whole Parallel state 'StateName'");
}

TEST(TestStateParallel, MockResultMustHaveOneItemPerBranch) {
  TestStateRequest req = Request(kParallel);
  req.mock = MockResult(Json::array({1}));
  EXPECT_EQ(Rejected(req).message,
            "Mocked result must contain the same number of items as number of Parallel branches.");
  req.mock = MockResult(Json{{"a", 1}});
  EXPECT_EQ(Rejected(req).message, "Mocked result must be an array.");
}

TEST(TestStateParallel, MockResultIsTheWholeStatesResult) {
  TestStateRequest req = Request(kParallel, Json{{"x", 1}});
  req.mock = MockResult(Json::array({"one", "two"}));
  TestStateResult r = RunState(req);
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_EQ(r.output, (Json{{"x", 1}, {"branches", Json::array({"one", "two"})}}));
}

TEST(TestStateParallel, ABranchThatNeverEndsIsStoppedAndFails) {
  TestStateResult r = RunState(Request(R"({"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"Again","States":{"Again":{"Type":"Pass","Next":"Again"}}}]})"));
  EXPECT_EQ(r.status, TestStateStatus::kFailed);
  EXPECT_EQ(r.error, (AslError{"States.Runtime",
                               "TestState stopped 'StateName' after 25000 steps of its branches "
                               "or iterations"}));
}

constexpr char kMap[] = R"j({"Type":"Map","ItemsPath":"$.items","ResultPath":"$.out","End":true,
  "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Failed"}],
  "ItemProcessor":{"StartAt":"Double","States":{
    "Double":{"Type":"Pass","Parameters":{"v.$":"States.MathAdd($, $)"},"End":true}}}})j";

TEST(TestStateMap, WithoutTasksRunsItsIterationsInline) {
  TestStateResult r = RunState(Request(kMap, Json{{"items", {1, 2, 3}}}));
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_FALSE(r.next_state.has_value());
  EXPECT_EQ(r.output, (Json{{"items", {1, 2, 3}},
                            {"out", Json::array({{{"v", 2}}, {{"v", 4}}, {{"v", 6}}})}}));
}

TEST(TestStateMap, MockErrorGoesThroughItsCatch) {
  TestStateRequest req = Request(kMap, Json{{"items", {1}}});
  req.mock = MockError("States.ExceedToleratedFailureThreshold", "too many");
  TestStateResult r = RunState(req);
  EXPECT_EQ(r.status, TestStateStatus::kCaughtError);
  EXPECT_EQ(r.next_state, "Failed");
  EXPECT_EQ(r.output,
            (Json{{"Error", "States.ExceedToleratedFailureThreshold"}, {"Cause", "too many"}}));
  EXPECT_EQ(r.inspection.catch_index, 0);
}

TEST(TestStateMap, MockResultMustBeAnArray) {
  TestStateRequest req = Request(kMap);
  req.mock = MockResult(Json("x"));
  EXPECT_EQ(Rejected(req).message, "Mocked result must be an array.");
}

// --- Definitions -----------------------------------------------------------------

TEST(TestStateDefinition, ErrorsAreTheCompilersWithLocationsInsideTheState) {
  TestStateRejection r = Rejected(Request(R"({"Type":"Pass","End":true,"Next":"X"})"));
  EXPECT_EQ(r.kind, TestStateRejection::Kind::kInvalidDefinition);
  EXPECT_EQ(r.message,
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields cannot be "
            "specified together: [End, Next] at /'");
  r = Rejected(Request(R"({"Type":"Pass","InputPath":7,"End":true})"));
  EXPECT_EQ(r.message,
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the "
            "field 'InputPath' must be a STRING at /InputPath'");
}

TEST(TestStateDefinition, NotAJsonObjectIsInvalid) {
  TestStateRejection r = Rejected(Request("[1,2"));
  EXPECT_EQ(r.kind, TestStateRejection::Kind::kInvalidDefinition);
  EXPECT_EQ(r.message,
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Definition must be a "
            "valid JSON object'");
}

constexpr char kMachine[] = R"({"StartAt":"First","States":{
  "First":{"Type":"Pass","Result":1,"Next":"Fork"},
  "Fork":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"Inner","States":{
    "Inner":{"Type":"Pass","Parameters":{"state.$":"$$.State.Name"},"Next":"Last"},
    "Last":{"Type":"Succeed"}}}]}}})";

TEST(TestStateDefinition, StateNamePicksAStateOfAWholeMachineAtAnyDepth) {
  TestStateRequest req = Request(kMachine);
  req.state_name = "Inner";
  TestStateResult r = RunState(req);
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_EQ(r.next_state, "Last");
  EXPECT_EQ(r.output, (Json{{"state", "Inner"}}));
  req.state_name = "First";
  r = RunState(req);
  EXPECT_EQ(r.next_state, "Fork");
  EXPECT_EQ(r.output, Json(1));
}

TEST(TestStateDefinition, UnknownStateNameIsRefused) {
  TestStateRequest req = Request(kMachine);
  req.state_name = "Nowhere";
  EXPECT_EQ(Rejected(req).message, "State 'Nowhere' is not in the definition");
}

TEST(TestStateDefinition, WholeMachineWithoutStateNameIsRefused) {
  TestStateRejection r = Rejected(Request(kMachine));
  EXPECT_EQ(r.kind, TestStateRejection::Kind::kInvalidRequest);
  EXPECT_EQ(r.message,
            "The definition is a whole state machine: name the state to test with stateName");
}

TEST(TestStateStatus, NamesAreAwss) {
  EXPECT_EQ(TestStateStatusName(TestStateStatus::kSucceeded), "SUCCEEDED");
  EXPECT_EQ(TestStateStatusName(TestStateStatus::kFailed), "FAILED");
  EXPECT_EQ(TestStateStatusName(TestStateStatus::kRetriable), "RETRIABLE");
  EXPECT_EQ(TestStateStatusName(TestStateStatus::kCaughtError), "CAUGHT_ERROR");
}

TEST(TestStateJsonata, TaskShowsArgumentsResultAndAssignedVariables) {
  TestStateRequest req = Request(R"({"Type":"Task","QueryLanguage":"JSONata",
      "Resource":"arn:aws:states:::lambda:invoke",
      "Arguments":{"Payload":{"id":"{% $states.input.id %}","who":"{% $who %}"}},
      "Assign":{"got":"{% $states.result.Payload %}"},
      "Output":{"id":"{% $states.input.id %}","got":"{% $states.result.Payload %}"},"End":true})",
                                 Json{{"id", 3}});
  req.variables = Json{{"who", "ops"}};
  req.mock = MockResult(Json{{"Payload", "done"}});
  TestStateResult r = RunState(req);
  EXPECT_EQ(r.status, TestStateStatus::kSucceeded);
  EXPECT_EQ(r.output, (Json{{"id", 3}, {"got", "done"}}));
  EXPECT_EQ(r.inspection.after_arguments, (Json{{"Payload", {{"id", 3}, {"who", "ops"}}}}));
  EXPECT_FALSE(r.inspection.after_parameters.has_value());
  EXPECT_FALSE(r.inspection.after_input_path.has_value());
  EXPECT_EQ(r.inspection.result, (Json{{"Payload", "done"}}));
  EXPECT_EQ(r.inspection.variables, (Json{{"who", "ops"}, {"got", "done"}}));
}

}  // namespace
}  // namespace stepd::asl
