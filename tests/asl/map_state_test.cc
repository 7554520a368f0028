#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "asl/asl_run_testing.h"

namespace stepd::asl {
namespace {

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
  EXPECT_THAT(r.types, ::testing::ElementsAre("ExecutionStarted", "MapStateEntered",
                                              "MapStateStarted", "MapIterationStarted",
                                              "PassStateEntered", "PassStateExited",
                                              "MapIterationSucceeded", "MapStateSucceeded",
                                              "MapStateExited", "ExecutionSucceeded"));
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
  auto r = RunDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":10,
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
  EXPECT_THAT(r.types, ::testing::ElementsAre("ExecutionStarted", "MapStateEntered",
                                              "MapStateStarted", "MapRunStarted", "MapRunSucceeded",
                                              "MapStateSucceeded", "MapStateExited",
                                              "ExecutionSucceeded"));
  EXPECT_EQ(r.output, Json::array({1, 2}));
}

}  // namespace
}  // namespace stepd::asl
