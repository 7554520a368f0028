#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "asl/asl_run_testing.h"

namespace stepd::asl {
namespace {

using ::testing::ElementsAre;
using testing::MustCompile;
using testing::RunDefinition;
using testing::TestInfo;
using testing::TestStart;

TEST(MapState, ItemSelectorSeesMapItemIndexAndValue) {
  auto r = RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs",
      "ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value","k.$":"$.k"},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
      "End":true}}})",
                         Json{{"xs", {"a", "b"}}, {"k", 9}});
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.output, Json::parse(R"([{"i":0,"v":"a","k":9},{"i":1,"v":"b","k":9}])"));
}

TEST(MapState, LegacyIteratorAndParametersWork) {
  auto r = RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "Parameters":{"v.$":"$$.Map.Item.Value"},
      "Iterator":{"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":"$.v","End":true}}},
      "End":true}}})",
                         Json::array({1, 2, 3}));
  EXPECT_EQ(r.output, Json::array({1, 2, 3}));
}

TEST(MapState, RecordsIterationEvents) {
  auto r = RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,
      "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})",
                         Json::array({1}));
  EXPECT_THAT(r.types,
              ::testing::ElementsAre("ExecutionStarted", "MapStateEntered", "MapStateStarted",
                                     "MapIterationStarted", "PassStateEntered", "PassStateExited",
                                     "MapIterationSucceeded", "MapStateSucceeded", "MapStateExited",
                                     "ExecutionSucceeded"));
  EXPECT_EQ(r.events[2].DetailsJson(), (Json{{"length", 1}}));
}

TEST(MapState, NeverRunsMoreThanMaxConcurrencyIterations) {
  auto m = MustCompile(R"({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2,
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
      "End":true}}})");
  auto e = Execution::Start(m, TestInfo(), Json::array({1, 2, 3, 4, 5}), TestStart());
  size_t max_pending = 0;
  while (e->status() == ExecutionStatus::kRunning) {
    StepResult r = e->Step(TestStart());
    for (const TaskRequest& t : e->TakeTaskRequests()) (void)t;
    max_pending = std::max(max_pending, e->PendingTasks().size());
    if (r.kind == StepResult::Kind::kBlocked) {
      for (const TaskRequest& t : e->PendingTasks()) {
        ASSERT_TRUE(e->CompleteTask(t.task_id, t.parameters, TestStart()).ok());
      }
    }
  }
  EXPECT_EQ(max_pending, 2u);
  EXPECT_EQ(e->output(), Json::array({1, 2, 3, 4, 5}));
}

TEST(MapState, FailedIterationFailsTheMapWithItsError) {
  auto r = RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}},"End":true}}})",
                         Json::array({1, 2}));
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error, (AslError{"E", "C"}));
  EXPECT_EQ(r.types[r.types.size() - 2], "MapStateFailed");
}

TEST(MapState, ToleratedFailureCountLetsTheMapSucceed) {
  auto r = RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,
      "ItemProcessor":{"StartAt":"C","States":{
         "C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":2,"Next":"F"}],"Default":"P"},
         "F":{"Type":"Fail","Error":"E","Cause":"C"},"P":{"Type":"Pass","End":true}}},"End":true}}})",
                         Json::array({1, 2, 3}));
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.output, Json::parse(R"([1,{"Error":"E","Cause":"C"},3])"));
}

TEST(MapState, ExceedingToleranceFailsWithThresholdError) {
  auto r =
      RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":10,
      "ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}},"End":true}}})",
                    Json::array({1, 2}));
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.error, "States.ExceedToleratedFailureThreshold");
}

TEST(MapState, MaxConcurrencyPathMustBeAnInteger) {
  auto r = RunDefinition(R"({"StartAt":"MapState","States":{"MapState":{"Type":"Map",
      "MaxConcurrencyPath":"$.MaxConcurrencyValue",
      "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})",
                         Json{{"MaxConcurrencyValue", Json::object()}});
  EXPECT_EQ(r.error.cause,
            "An error occurred while executing the state 'MapState' (entered at the event id #2). "
            "The MaxConcurrencyPath field refers to value \"{}\" which is not a valid integer: "
            "$.MaxConcurrencyValue");
}

TEST(MapState, ItemReaderFailsNamingTheField) {
  auto r = RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"b","Key":"k"}},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})",
                         Json::object());
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.error, "States.ItemReaderFailed");
  EXPECT_EQ(r.error.cause,
            "ItemReader is not supported yet: stepd cannot read Map items from S3 (state 'M')");
}

TEST(MapState, DistributedModeRecordsAMapRunInsteadOfIterations) {
  auto r = RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})",
                         Json::array({1, 2}));
  EXPECT_THAT(r.types,
              ::testing::ElementsAre("ExecutionStarted", "MapStateEntered", "MapStateStarted",
                                     "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded",
                                     "MapStateExited", "ExecutionSucceeded"));
  EXPECT_EQ(r.output, Json::array({1, 2}));
}

// Drives `e` to the end with no tasks; returns every event it recorded.
std::vector<HistoryEvent> DriveToEnd(Execution& e) {
  std::vector<HistoryEvent> events;
  while (e.status() == ExecutionStatus::kRunning) {
    StepResult r = e.Step(TestStart());
    e.TakeEvents(&events);
    if (r.kind == StepResult::Kind::kBlocked) ADD_FAILURE() << "blocked";
    if (r.kind != StepResult::Kind::kProgress) break;
  }
  e.TakeEvents(&events);
  return events;
}

constexpr const char* kDistributed = R"({"StartAt":"M","States":{"M":{"Type":"Map","Label":"Orders",
    "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
      "StartAt":"P","States":{"P":{"Type":"Pass",
        "Parameters":{"item.$":"$","me.$":"$$.Execution.Id","in.$":"$$.Execution.Input",
                      "machine.$":"$$.StateMachine.Name"},"End":true}}},"End":true}}})";

TEST(MapState, DistributedIterationsAreChildExecutionsUnderAMapRun) {
  auto m = MustCompile(kDistributed);
  auto e = Execution::Start(m, TestInfo(), Json::array({"a", "b"}), TestStart());
  std::vector<HistoryEvent> events = DriveToEnd(*e);
  ASSERT_EQ(e->status(), ExecutionStatus::kSucceeded);
  std::vector<ChildExecutionStart> children = e->TakeChildExecutions();
  ASSERT_EQ(children.size(), 2u);

  // The parent's MapRunStarted names the Map Run; the children belong to it.
  const HistoryEvent* run_started = nullptr;
  for (const HistoryEvent& ev : events) {
    if (ev.child_execution == 0 && ev.type == "MapRunStarted") run_started = &ev;
  }
  ASSERT_NE(run_started, nullptr);
  const std::string run_arn = run_started->DetailsJson()["mapRunArn"].get<std::string>();
  EXPECT_THAT(run_arn,
              ::testing::StartsWith("arn:aws:states:us-east-1:123456789012:mapRun:sm/Orders:"));
  for (size_t i = 0; i < children.size(); ++i) {
    const ChildExecutionStart& c = children[i];
    EXPECT_EQ(c.map_run_arn, run_arn);
    EXPECT_EQ(c.type, StateMachineType::kExpress);
    EXPECT_EQ(c.info.state_machine_arn,
              "arn:aws:states:us-east-1:123456789012:stateMachine:sm/Orders");
    EXPECT_EQ(c.info.execution_arn,
              "arn:aws:states:us-east-1:123456789012:execution:sm/Orders:" + c.info.name);
    EXPECT_EQ(c.input, Json(i == 0 ? "a" : "b"));
  }
  // Each child sees itself in $$ and has a history of its own, ids 1..N.
  EXPECT_EQ(e->output()[0], (Json{{"item", "a"},
                                  {"me", children[0].info.execution_arn},
                                  {"in", "a"},
                                  {"machine", "sm/Orders"}}));
  for (const ChildExecutionStart& c : children) {
    std::vector<std::string> types;
    int64_t expected_id = 1;
    for (const HistoryEvent& ev : events) {
      if (ev.child_execution != c.id) continue;
      types.emplace_back(ev.type);
      EXPECT_EQ(ev.id, expected_id++);
    }
    EXPECT_THAT(types, ::testing::ElementsAre("ExecutionStarted", "PassStateEntered",
                                              "PassStateExited", "ExecutionSucceeded"));
  }
}

TEST(MapState, FailedChildExecutionRecordsExecutionFailedAndTheMapRunFails) {
  auto m = MustCompile(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},
        "StartAt":"F","States":{"F":{"Type":"Fail","Error":"Bad","Cause":"item"}}},"End":true}}})");
  auto e = Execution::Start(m, TestInfo(), Json::array({1}), TestStart());
  std::vector<HistoryEvent> events = DriveToEnd(*e);
  EXPECT_EQ(e->status(), ExecutionStatus::kFailed);
  std::vector<std::string> child_types, parent_types;
  for (const HistoryEvent& ev : events) {
    (ev.child_execution ? child_types : parent_types).emplace_back(ev.type);
  }
  EXPECT_THAT(child_types,
              ::testing::ElementsAre("ExecutionStarted", "FailStateEntered", "ExecutionFailed"));
  EXPECT_THAT(parent_types, ::testing::Contains("MapRunFailed"));
}

TEST(MapState, StoppingTheParentAbortsRunningChildExecutions) {
  auto m = MustCompile(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},
        "StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
      "End":true}}})");
  auto e = Execution::Start(m, TestInfo(), Json::array({1, 2}), TestStart());
  std::vector<HistoryEvent> events;
  while (e->Step(TestStart()).kind == StepResult::Kind::kProgress) e->TakeEvents(&events);
  ASSERT_EQ(e->PendingTasks().size(), 2u);
  e->Stop(ExecutionStatus::kAborted, "", "", TestStart());
  e->TakeEvents(&events);
  int aborted_children = 0;
  for (const HistoryEvent& ev : events) {
    if (ev.child_execution != 0 && ev.type == "ExecutionAborted") ++aborted_children;
  }
  EXPECT_EQ(aborted_children, 2);
  EXPECT_EQ(events.back().type, "ExecutionAborted");
  EXPECT_EQ(events.back().child_execution, 0);
}

TEST(MapState, ChildExecutionsSurviveSnapshotAndRestore) {
  auto m = MustCompile(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},
        "StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
          "ResultPath":"$.r","Next":"P"},"P":{"Type":"Pass","Parameters":{"me.$":"$$.Execution.Name"},"End":true}}},
      "End":true}}})");
  auto e = Execution::Start(m, TestInfo(), Json::array({Json::object()}), TestStart());
  while (e->Step(TestStart()).kind == StepResult::Kind::kProgress) {
  }
  std::vector<ChildExecutionStart> children = e->TakeChildExecutions();
  ASSERT_EQ(children.size(), 1u);
  auto restored = Execution::Restore(m, e->Snapshot());
  ASSERT_TRUE(restored.ok()) << restored.status().message();
  Execution& r = **restored;
  ASSERT_TRUE(r.CompleteTask(r.PendingTasks()[0].task_id, Json(1), TestStart()).ok());
  std::vector<HistoryEvent> events = DriveToEnd(r);
  EXPECT_EQ(r.output(), Json::parse(R"([{"me":")" + children[0].info.name + R"("}])"));
  EXPECT_EQ(events.back().type, "ExecutionSucceeded");
  // The child's history continued where the snapshot left it.
  std::vector<int64_t> ids;
  for (const HistoryEvent& ev : events) {
    if (ev.child_execution == children[0].id) ids.push_back(ev.id);
  }
  EXPECT_EQ(ids.front(), 5);  // 1 started, 2 entered, 3 scheduled, 4 started: then the task result
}

TEST(MapState, ItemBatcherGroupsItemsWithBatchInput) {
  auto r = RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemSelector":{"v.$":"$$.Map.Item.Value"},
      "ItemBatcher":{"MaxItemsPerBatchPath":"$.per","BatchInput":{"tag.$":"$.tag"}},
      "ItemsPath":"$.xs",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})",
                         Json{{"xs", {1, 2, 3, 4, 5}}, {"per", 2}, {"tag", "t"}});
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.output, Json::parse(R"([
      {"BatchInput":{"tag":"t"},"Items":[{"v":1},{"v":2}]},
      {"BatchInput":{"tag":"t"},"Items":[{"v":3},{"v":4}]},
      {"BatchInput":{"tag":"t"},"Items":[{"v":5}]}])"));
}

TEST(MapState, ItemBatcherRespectsMaxInputBytesPerBatch) {
  auto r = RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemBatcher":{"MaxInputBytesPerBatch":12},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})",
                         Json::array({"aaaa", "bbbb", "cccccccccccccccc", "d"}));
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded);
  // "aaaa" and "bbbb" are 6 bytes each; the long item gets a batch of its own.
  EXPECT_EQ(
      r.output,
      Json::parse(R"([{"Items":["aaaa","bbbb"]},{"Items":["cccccccccccccccc"]},{"Items":["d"]}])"));
}

TEST(MapState, FailedBatchCountsAllItsItemsAgainstTheTolerance) {
  auto r =
      RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":50,
      "ItemBatcher":{"MaxItemsPerBatch":3},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"C","States":{
         "C":{"Type":"Choice","Choices":[{"Variable":"$.Items[0]","NumericEquals":1,"Next":"F"}],"Default":"P"},
         "F":{"Type":"Fail","Error":"E"},"P":{"Type":"Pass","End":true}}},"End":true}}})",
                    Json::array({1, 2, 3, 4}));
  // 3 of 4 items failed: 75% > 50%.
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.error, "States.ExceedToleratedFailureThreshold");
}

TEST(MapState, AToleratedFailedBatchStillLetsTheMapFinish) {
  // The failed batch holds 3 items but is one child: the Map must still see
  // all of its children end (it used to compare items with children).
  auto r =
      RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":80,
      "ItemBatcher":{"MaxItemsPerBatch":3},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"C","States":{
         "C":{"Type":"Choice","Choices":[{"Variable":"$.Items[0]","NumericEquals":1,"Next":"F"}],"Default":"P"},
         "F":{"Type":"Fail","Error":"E"},"P":{"Type":"Pass","End":true}}},"End":true}}})",
                    Json::array({1, 2, 3, 4, 5, 6, 7}));
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.error.cause;
  ASSERT_EQ(r.output.size(), 3u);
  EXPECT_EQ(r.output[0]["Error"], "E");
}

TEST(MapState, MaxItemsPerBatchPathMustBeAPositiveInteger) {
  auto r = RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemBatcher":{"MaxItemsPerBatchPath":"$.n"},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"ItemsPath":"$.xs","End":true}}})",
                         Json{{"xs", {1}}, {"n", 0}});
  EXPECT_EQ(
      r.error.cause,
      "An error occurred while executing the state 'M' (entered at the event id #2). "
      "The MaxItemsPerBatchPath field refers to value \"0\" which is not a valid integer: $.n");
}

TEST(MapStateCompile, RejectsAnItemBatcherWithUnknownFields) {
  CompileResult r =
      Compile(R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxItems":2},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(InvalidDefinitionMessage(r.diagnostics),
              ::testing::HasSubstr("/States/M/ItemBatcher"));
}

TEST(MapState, InlineIterationsReadOuterVariables) {
  auto r = RunDefinition(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"k":7},"Next":"M"},
      "M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"P","States":{
        "P":{"Type":"Pass","Parameters":{"k.$":"$k"},"End":true}}}}}})",
                         Json::array({1}));
  EXPECT_EQ(r.output, Json::parse(R"([{"k":7}])"));
}

TEST(MapState, DistributedChildExecutionsDoNotSeeOuterVariables) {
  auto r = RunDefinition(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"k":7},"Next":"M"},
      "M":{"Type":"Map","End":true,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},
        "StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"k.$":"$k"},"End":true}}}}}})",
                         Json::array({1}));
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.error, "States.Runtime");
}
// --- Map Runs: what the runtime stores (TakeMapRunChanges) ---------------------------

// Children wait 60 s: the run stays RUNNING until time moves on.
constexpr const char* kSlowDistributed = R"({"StartAt":"M","States":{"M":{"Type":"Map",
    "MaxConcurrency":1,"ToleratedFailureCount":2,
    "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},
      "StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}},"End":true}}})";

// Steps until nothing can run now.
void StepUntilBlocked(Execution& e, TimePoint now) {
  for (int i = 0; i < 1000 && e.status() == ExecutionStatus::kRunning; ++i) {
    if (e.Step(now).kind != StepResult::Kind::kProgress) return;
  }
}

TEST(MapState, AMapRunIsReportedWhenItStartsAndWhenItEnds) {
  auto m = MustCompile(R"({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":4,
      "ToleratedFailurePercentage":20,"ItemBatcher":{"MaxItemsPerBatch":2},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})");
  auto e = Execution::Start(m, TestInfo(), Json::array({1, 2, 3, 4, 5}), TestStart());
  DriveToEnd(*e);
  ASSERT_EQ(e->status(), ExecutionStatus::kSucceeded);
  std::vector<MapRunInfo> changes = e->TakeMapRunChanges();
  ASSERT_EQ(changes.size(), 2u);
  const MapRunInfo& started = changes[0];
  EXPECT_THAT(started.arn,
              ::testing::StartsWith("arn:aws:states:us-east-1:123456789012:mapRun:sm/"));
  EXPECT_EQ(started.status, MapRunStatus::kRunning);
  EXPECT_EQ(started.max_concurrency, 4);
  EXPECT_EQ(started.tolerated_failure_percentage, 20.0);
  EXPECT_EQ(started.tolerated_failure_count, std::nullopt);
  EXPECT_EQ(started.total_items, 5);
  EXPECT_EQ(started.total_executions, 3);  // batches of 2, 2 and 1
  EXPECT_EQ(started.stop_time, std::nullopt);
  const MapRunInfo& ended = changes[1];
  EXPECT_EQ(ended.arn, started.arn);
  EXPECT_EQ(ended.status, MapRunStatus::kSucceeded);
  EXPECT_EQ(ended.start_time, started.start_time);
  EXPECT_TRUE(ended.stop_time.has_value());
  EXPECT_TRUE(e->TakeMapRunChanges().empty());  // taken once
}

TEST(MapState, AMapRunOverItsToleranceIsReportedFailed) {
  auto m = MustCompile(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},
        "StartAt":"F","States":{"F":{"Type":"Fail","Error":"Bad"}}},"End":true}}})");
  auto e = Execution::Start(m, TestInfo(), Json::array({1, 2}), TestStart());
  DriveToEnd(*e);
  std::vector<MapRunInfo> changes = e->TakeMapRunChanges();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].status, MapRunStatus::kFailed);
}

TEST(MapState, UpdateMapRunRaisesConcurrencyOfTheRunningMapRun) {
  auto m = MustCompile(kSlowDistributed);
  auto e = Execution::Start(m, TestInfo(), Json::array({1, 2, 3, 4}), TestStart());
  StepUntilBlocked(*e, TestStart());
  EXPECT_EQ(e->TakeChildExecutions().size(), 1u);  // MaxConcurrency 1
  std::vector<MapRunInfo> changes = e->TakeMapRunChanges();
  ASSERT_EQ(changes.size(), 1u);
  const std::string arn = changes[0].arn;

  ASSERT_EQ(e->UpdateMapRun(arn, 3, std::nullopt, 50.0, TestStart()), Status::OK());
  StepUntilBlocked(*e, TestStart());
  EXPECT_EQ(e->TakeChildExecutions().size(), 2u);  // two more now run
  changes = e->TakeMapRunChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].status, MapRunStatus::kRunning);
  EXPECT_EQ(changes[0].max_concurrency, 3);
  EXPECT_EQ(changes[0].tolerated_failure_count, 2);  // kept
  EXPECT_EQ(changes[0].tolerated_failure_percentage, 50.0);

  EXPECT_EQ(e->UpdateMapRun(arn + "x", 1, std::nullopt, std::nullopt, TestStart()).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(e->UpdateMapRun(arn, -1, std::nullopt, std::nullopt, TestStart()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(e->UpdateMapRun(arn, std::nullopt, std::nullopt, 101.0, TestStart()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(e->TakeMapRunChanges().empty());  // refused updates change nothing
}

TEST(MapState, StoppingTheExecutionAbortsItsRunningMapRun) {
  auto m = MustCompile(kSlowDistributed);
  auto e = Execution::Start(m, TestInfo(), Json::array({1, 2}), TestStart());
  StepUntilBlocked(*e, TestStart());
  const std::string arn = e->TakeMapRunChanges().at(0).arn;
  e->Stop(ExecutionStatus::kAborted, "", "", TestStart());
  std::vector<MapRunInfo> changes = e->TakeMapRunChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].arn, arn);
  EXPECT_EQ(changes[0].status, MapRunStatus::kAborted);
  EXPECT_EQ(e->UpdateMapRun(arn, 2, std::nullopt, std::nullopt, TestStart()).code(),
            StatusCode::kNotFound);
}

TEST(MapState, JsonataItemsItemSelectorAndContext) {
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map",
      "Items":"{% $states.input.orders[qty > 1] %}",
      "ItemSelector":{"sku":"{% $states.context.Map.Item.Value.sku %}",
        "i":"{% $states.context.Map.Item.Index %}","batch":"{% $states.input.batch %}"},
      "MaxConcurrency":"{% 1 %}",
      "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass",
        "Output":"{% $states.input.sku & '#' & $states.input.i & '@' & $states.input.batch %}",
        "End":true}}},
      "Output":{"skus":"{% $states.result %}","n":"{% $count($states.result) %}"},
      "End":true}}})",
                         Json::parse(R"({"batch":"b7","orders":[{"sku":"a","qty":2},
                             {"sku":"b","qty":1},{"sku":"c","qty":3}]})"));
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.error.cause;
  EXPECT_EQ(r.output, Json::parse(R"({"skus":["a#0@b7","c#1@b7"],"n":2})"));
}

TEST(MapState, JsonataItemsThatAreNotAnArrayFailTheMap) {
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map",
      "Items":"{% $states.input.n %}","ItemProcessor":{"StartAt":"P","States":{
      "P":{"Type":"Pass","End":true}}},"End":true}}})",
                         Json{{"n", 1}});
  EXPECT_EQ(r.error.error, "States.QueryEvaluationError");
  EXPECT_EQ(r.error.cause,
            "An error occurred while executing the state 'M' (entered at the event id #2). The "
            "JSONata expression '$states.input.n' specified for the field 'Items' returned an "
            "unexpected result type. Expected 'array', but was 'number' for value: 1");
  EXPECT_THAT(r.types, ElementsAre("ExecutionStarted", "MapStateEntered", "EvaluationFailed",
                                   "MapStateFailed", "ExecutionFailed"));
}

TEST(MapState, JsonataIterationsCannotAssignOuterVariables) {
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"total":0},"Next":"M"},
      "M":{"Type":"Map","Items":[1,2],"ItemProcessor":{"StartAt":"P","States":{
        "P":{"Type":"Pass","Assign":{"total":"{% $total + 1 %}"},"End":true}}},"End":true}}})",
                         Json::object());
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.error, "States.Runtime");
  EXPECT_THAT(r.error.cause, ::testing::HasSubstr("The variable 'total' belongs to an outer scope"));
}

}  // namespace
}  // namespace stepd::asl
