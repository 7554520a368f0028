#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "asl/asl_run_testing.h"

namespace stepd::asl {
namespace {

using ::testing::ElementsAre;
using testing::MustCompile;
using testing::RunDefinition;
using testing::ScriptedInvoker;
using testing::TestInfo;
using testing::TestStart;

constexpr std::string_view kTask = R"({"StartAt":"T","States":{"T":{"Type":"Task",
  "Resource":"arn:aws:states:::lambda:invoke","Parameters":{"x.$":"$.x"},
  "ResultSelector":{"v.$":"$.Payload"},"ResultPath":"$.res","TimeoutSeconds":5,"End":true}}})";

TEST(TaskState, ResultFlowsThroughResultSelectorAndResultPath) {
  ScriptedInvoker inv;
  inv.Answer("T", {Json{{"Payload", 42}}});
  auto r = RunDefinition(kTask, Json{{"x", 1}}, &inv);
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.output, (Json{{"x", 1}, {"res", {{"v", 42}}}}));
  ASSERT_EQ(inv.requests.size(), 1u);
  EXPECT_EQ(inv.requests[0].parameters, (Json{{"x", 1}}));
  EXPECT_EQ(inv.requests[0].resource, "arn:aws:states:::lambda:invoke");
  EXPECT_EQ(inv.requests[0].timeout_seconds, 5);
  EXPECT_THAT(r.types,
              ElementsAre("ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                          "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"));
  EXPECT_EQ(r.events[2].DetailsJson()["resourceType"], "lambda");
  EXPECT_EQ(r.events[2].DetailsJson()["resource"], "invoke");
}

TEST(TaskState, CompletesAsynchronouslyThroughCompleteTask) {
  auto m = MustCompile(kTask);
  auto e = Execution::Start(m, TestInfo(), Json{{"x", 1}}, TestStart());
  e->Step(TestStart());
  auto tasks = e->TakeTaskRequests();
  ASSERT_EQ(tasks.size(), 1u);
  StepResult r = e->Step(TestStart());
  EXPECT_EQ(r.kind, StepResult::Kind::kBlocked);
  EXPECT_EQ(r.pending_tasks, 1u);
  EXPECT_FALSE(r.wake_at.has_value());
  ASSERT_TRUE(e->CompleteTask(tasks[0].task_id, Json{{"Payload", 1}}, TestStart()).ok());
  EXPECT_EQ(e->CompleteTask(tasks[0].task_id, Json(1), TestStart()).code(), StatusCode::kNotFound);
  EXPECT_EQ(e->Step(TestStart()).kind, StepResult::Kind::kFinished);
  EXPECT_EQ(e->output(), (Json{{"x", 1}, {"res", {{"v", 1}}}}));
}

TEST(TaskState, RetriesWithBackoffThenSucceeds) {
  ScriptedInvoker inv;
  inv.Answer("T", {AslError{"Oops", "c1"}, AslError{"Oops", "c2"}, Json("ok")});
  auto r = RunDefinition(
      R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Retry":[{"ErrorEquals":["Oops"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":5}],"End":true}}})",
      Json::object(), &inv);
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.output, "ok");
  EXPECT_EQ(r.elapsed, std::chrono::seconds(2 + 6));
  ASSERT_EQ(inv.requests.size(), 3u);
  EXPECT_EQ(inv.requests[2].retry_count, 2);
}

TEST(TaskState, MaxDelaySecondsCapsTheBackoff) {
  ScriptedInvoker inv;
  inv.Answer("T", {AslError{"Oops", ""}, AslError{"Oops", ""}, AslError{"Oops", ""}, Json(1)});
  auto r = RunDefinition(
      R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":10,"BackoffRate":10,"MaxDelaySeconds":15}],"End":true}}})",
      Json::object(), &inv);
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.elapsed, std::chrono::seconds(10 + 15 + 15));
}

TEST(TaskState, CatchPlacesErrorAtResultPathAfterRetriesAreExhausted) {
  ScriptedInvoker inv;
  inv.Answer("T", {AslError{"Oops", "why"}});
  auto r = RunDefinition(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
           "Retry":[{"ErrorEquals":["Oops"],"MaxAttempts":1,"IntervalSeconds":1}],
           "Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.err","Next":"H"}],"End":true},
      "H":{"Type":"Pass","End":true}}})",
                         Json{{"in", 1}}, &inv);
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.output, (Json{{"in", 1}, {"err", {{"Error", "Oops"}, {"Cause", "why"}}}}));
  EXPECT_EQ(inv.requests.size(), 2u);
  EXPECT_THAT(r.types, ElementsAre("ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                   "TaskStarted", "TaskFailed", "TaskScheduled", "TaskStarted",
                                   "TaskFailed", "TaskStateExited", "PassStateEntered",
                                   "PassStateExited", "ExecutionSucceeded"));
}

TEST(TaskState, StatesAllDoesNotCatchStatesRuntime) {
  auto r = RunDefinition(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","InputPath":"$.missing",
           "Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}],"End":true},
      "H":{"Type":"Pass","End":true}}})",
                         Json::object());
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.error, "States.Runtime");
}

TEST(TaskState, WaitForTaskTokenExposesTheTokenToParameters) {
  ScriptedInvoker inv;
  inv.Answer("T", {Json("done")});
  auto r = RunDefinition(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      "Parameters":{"token.$":"$$.Task.Token"},"End":true}}})",
                         Json::object(), &inv);
  ASSERT_EQ(inv.requests.size(), 1u);
  EXPECT_FALSE(inv.requests[0].task_token.empty());
  EXPECT_EQ(inv.requests[0].parameters["token"], inv.requests[0].task_token);
  EXPECT_EQ(r.output, "done");
}

TEST(TaskState, LambdaFunctionArnRecordsLambdaEvents) {
  ScriptedInvoker inv;
  inv.Answer("T", {Json(1)});
  auto r = RunDefinition(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}})",
                         Json::object(), &inv);
  EXPECT_THAT(r.types,
              ElementsAre("ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                          "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
                          "ExecutionSucceeded"));
}

TEST(TaskState, AnActivityRecordsActivityEventsAndWhoStartedIt) {
  auto m = MustCompile(R"({"StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"arn:aws:states:eu-west-1:123456789012:activity:review","HeartbeatSeconds":30,
      "End":true}}})");
  auto e = Execution::Start(m, TestInfo(), Json{{"doc", 7}}, TestStart());
  while (e->Step(TestStart()).kind == StepResult::Kind::kProgress) {
  }
  const int64_t task = e->PendingTasks()[0].task_id;
  ASSERT_TRUE(e->MarkTaskStarted(task, "worker-1", TestStart()).ok());
  EXPECT_EQ(e->MarkTaskStarted(task + 1, "w", TestStart()).code(), StatusCode::kNotFound);
  ASSERT_TRUE(e->CompleteTask(task, Json{{"ok", true}}, TestStart()).ok());
  while (e->Step(TestStart()).kind == StepResult::Kind::kProgress) {
  }
  std::vector<HistoryEvent> events = e->TakeEvents();
  std::vector<std::string> types;
  for (const HistoryEvent& ev : events) types.emplace_back(ev.type);
  EXPECT_THAT(types, ElementsAre("ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                                 "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                                 "ExecutionSucceeded"));
  EXPECT_EQ(events[2].DetailsJson(),
            Json::parse(R"({"resource":"arn:aws:states:eu-west-1:123456789012:activity:review",
                "input":"{\"doc\":7}","inputDetails":{"truncated":false},"heartbeatInSeconds":30})"));
  EXPECT_EQ(events[3].DetailsJson(), Json::parse(R"({"workerName":"worker-1"})"));
  EXPECT_EQ(events[3].previous_event_id, events[2].id);
}

TEST(TaskState, AHandoutReportedAgainAfterARestoreRecordsActivityStartedOnce) {
  auto m = MustCompile(R"({"StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"arn:aws:states:eu-west-1:123456789012:activity:review","End":true}}})");
  auto e = Execution::Start(m, TestInfo(), Json::object(), TestStart());
  while (e->Step(TestStart()).kind == StepResult::Kind::kProgress) {
  }
  const int64_t task = e->PendingTasks()[0].task_id;
  ASSERT_TRUE(e->MarkTaskStarted(task, "worker-1", TestStart()).ok());
  ASSERT_TRUE(e->MarkTaskStarted(task, "worker-1", TestStart()).ok());
  std::vector<std::string> types;
  for (const HistoryEvent& ev : e->TakeEvents()) types.emplace_back(ev.type);
  // As a restarted server reads it back, and hears of the handout again.
  auto restored = Execution::Restore(m, Json::parse(e->Snapshot().dump()));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_TRUE((*restored)->PendingTasks()[0].started);
  ASSERT_TRUE((*restored)->MarkTaskStarted(task, "worker-1", TestStart()).ok());
  ASSERT_TRUE((*restored)->CompleteTask(task, Json{{"ok", true}}, TestStart()).ok());
  while ((*restored)->Step(TestStart()).kind == StepResult::Kind::kProgress) {
  }
  for (const HistoryEvent& ev : (*restored)->TakeEvents()) types.emplace_back(ev.type);
  EXPECT_THAT(types, ElementsAre("ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                                 "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                                 "ExecutionSucceeded"));
}

TEST(TaskState, AnActivityThatTimesOutRecordsActivityTimedOut) {
  ScriptedInvoker inv;
  inv.Answer("A", {AslError{"States.Timeout", ""}});
  auto r = RunDefinition(R"({"StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"arn:aws:states:us-east-1:123456789012:activity:slow","End":true}}})",
                         Json::object(), &inv);
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_THAT(r.types, ::testing::Contains("ActivityTimedOut"));
}

TEST(TaskState, AMissedHeartbeatIsReportedAsStatesTimeout) {
  ScriptedInvoker inv;
  inv.Answer("A", {AslError{"States.HeartbeatTimeout", ""}});
  auto r = RunDefinition(R"({"StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"arn:aws:states:us-east-1:123456789012:activity:slow","HeartbeatSeconds":1,
      "End":true}}})",
                         Json::object(), &inv);
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.error, "States.Timeout");
  ASSERT_THAT(r.types, ::testing::Contains("ActivityTimedOut"));
  for (const HistoryEvent& e : r.events) {
    if (e.type == "ActivityTimedOut") {
      EXPECT_EQ(e.DetailsJson()["error"], "States.Timeout");
    }
  }
}

TEST(TaskState, RetryAndCatchMatchAMissedHeartbeatByStatesHeartbeatTimeoutToo) {
  for (const char* name : {"States.HeartbeatTimeout", "States.Timeout", "States.ALL"}) {
    ScriptedInvoker inv;
    inv.Answer("A", {AslError{"States.HeartbeatTimeout", ""}});
    const std::string definition = std::string(R"({"StartAt":"A","States":{"A":{"Type":"Task",
        "Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","HeartbeatSeconds":1,
        "Catch":[{"ErrorEquals":[")") +
                                   name + R"("],"Next":"Caught"}],"End":true},
        "Caught":{"Type":"Pass","End":true}}})";
    auto r = RunDefinition(definition, Json::object(), &inv);
    EXPECT_EQ(r.status, ExecutionStatus::kSucceeded) << name;
    EXPECT_EQ(r.output["Error"], "States.Timeout") << name;
  }
}

TEST(TaskState, StatesHeartbeatTimeoutDoesNotMatchATaskTimeout) {
  ScriptedInvoker inv;
  inv.Answer("A", {AslError{"States.Timeout", ""}});
  auto r = RunDefinition(R"({"StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","TimeoutSeconds":1,
      "Catch":[{"ErrorEquals":["States.HeartbeatTimeout"],"Next":"Caught"}],"End":true},
      "Caught":{"Type":"Pass","End":true}}})",
                         Json::object(), &inv);
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.error, "States.Timeout");
}

TEST(TaskState, ServiceIntegrationsNameTheExecutionsRegion) {
  ScriptedInvoker inv;
  inv.Answer("T", {Json(1)});
  auto r = RunDefinition(kTask, Json{{"x", 1}}, &inv);
  EXPECT_EQ(r.events[2].DetailsJson()["region"], "us-east-1");
}
TEST(TaskState, JsonataArgumentsResultAndOutput) {
  ScriptedInvoker inv;
  inv.Answer("T", {Json{{"Payload", {{"total", 7}}}}});
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke",
      "Arguments":{"FunctionName":"f","Payload":{"id":"{% $states.input.id %}"}},
      "TimeoutSeconds":"{% $states.input.timeout %}",
      "Assign":{"total":"{% $states.result.Payload.total %}"},
      "Output":{"in":"{% $states.input.id %}","out":"{% $states.result.Payload.total %}"},
      "End":true}}})",
                         Json{{"id", "a1"}, {"timeout", 30}}, &inv);
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.error.cause;
  ASSERT_EQ(inv.requests.size(), 1u);
  EXPECT_EQ(inv.requests[0].parameters, (Json{{"FunctionName", "f"}, {"Payload", {{"id", "a1"}}}}));
  EXPECT_EQ(inv.requests[0].timeout_seconds, 30);
  EXPECT_EQ(r.output, (Json{{"in", "a1"}, {"out", 7}}));
}

TEST(TaskState, JsonataOutputDefaultsToTheResult) {
  ScriptedInvoker inv;
  inv.Answer("T", {Json{{"r", 1}}});
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","Arguments":{},"End":true}}})",
                         Json{{"in", 1}}, &inv);
  EXPECT_EQ(r.output, (Json{{"r", 1}}));
}

TEST(TaskState, JsonataCatcherReadsErrorOutput) {
  ScriptedInvoker inv;
  inv.Answer("T", {AslError{"Boom", "it broke"}});
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","Arguments":{},
      "Catch":[{"ErrorEquals":["Boom"],"Assign":{"err":"{% $states.errorOutput.Error %}"},
        "Output":{"input":"{% $states.input %}","cause":"{% $states.errorOutput.Cause %}"},
        "Next":"H"}],"End":true},
      "H":{"Type":"Pass","Output":{"err":"{% $err %}","was":"{% $states.input %}"},"End":true}}})",
                         Json{{"k", 1}}, &inv);
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.error.cause;
  EXPECT_EQ(r.output, (Json{{"err", "Boom"}, {"was", {{"input", {{"k", 1}}}, {"cause", "it broke"}}}}));
}

TEST(TaskState, JsonataCatcherWithoutOutputPassesTheErrorOutput) {
  ScriptedInvoker inv;
  inv.Answer("T", {AslError{"Boom", "c"}});
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke",
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}],"End":true},
      "H":{"Type":"Succeed"}}})",
                         Json{{"k", 1}}, &inv);
  EXPECT_EQ(r.output, (Json{{"Error", "Boom"}, {"Cause", "c"}}));
}

TEST(TaskState, JsonataTimeoutThatIsNotAPositiveIntegerFails) {
  ScriptedInvoker inv;
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":"{% 'soon' %}","End":true}}})",
                         Json::object(), &inv);
  EXPECT_EQ(r.error.error, "States.QueryEvaluationError");
  EXPECT_THAT(r.error.cause,
              ::testing::HasSubstr("specified for the field 'TimeoutSeconds' returned an "
                                   "unexpected result type. Expected 'integer', but was 'string'"));
  EXPECT_TRUE(inv.requests.empty());
}

}  // namespace
}  // namespace stepd::asl
