// ListMapRuns, DescribeMapRun, UpdateMapRun through the AWS JSON API: the
// runs of DISTRIBUTED Map states and their child executions.

#include <gtest/gtest.h>

#include "api/aws_testing.h"

namespace stepd::api::testing {
namespace {

// A DISTRIBUTED Map over $.items, one child at a time at first; each child
// waits for a worker of activity "work".
constexpr char kMapOfActivities[] = R"({"StartAt":"Fan","States":{"Fan":{"Type":"Map",
    "Label":"Orders","ItemsPath":"$.items","MaxConcurrency":1,"ToleratedFailureCount":1,
    "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
      "StartAt":"Work","States":{"Work":{"Type":"Task",
        "Resource":"arn:aws:states:us-east-1:123456789012:activity:work","End":true}}},
    "End":true}}})";

class AwsMapRuns : public ::testing::Test {
 protected:
  void SetUp() override {
    activity_ = stack_.CreateActivity("work");
    stack_.CreateMachine("fan", kMapOfActivities);
    execution_ = stack_.StartExecution(MachineArn("fan"), "run", R"({"items":[1,2,3]})");
    ASSERT_TRUE(WaitUntil([&] { return !MapRuns().empty(); })) << "no Map Run listed";
    map_run_ = MapRuns()[0]["mapRunArn"];
  }
  Json MapRuns() {
    AwsAnswer listed = stack_.Call("ListMapRuns", {{"executionArn", execution_}});
    return listed.status == 200 ? listed.body["mapRuns"] : Json::array();
  }
  Json Describe() { return stack_.Call("DescribeMapRun", {{"mapRunArn", map_run_}}).body; }
  // Waits for `n` activity tasks and completes each.
  void CompleteTasks(int n) {
    for (int i = 0; i < n; ++i) {
      Json task = stack_.TakeTask(activity_);
      ASSERT_FALSE(task.empty()) << "task " << i;
      ASSERT_EQ(stack_.Call("SendTaskSuccess", {{"taskToken", task["taskToken"]}, {"output", "{}"}})
                    .status,
                200);
    }
  }

  AwsStack stack_;
  std::string activity_;
  std::string execution_;
  std::string map_run_;
};

TEST_F(AwsMapRuns, ListMapRunsNamesTheRunOfTheExecutionsMapState) {
  Json runs = MapRuns();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["executionArn"], execution_);
  EXPECT_EQ(map_run_.rfind(std::string(kArnPrefix) + "mapRun:fan/Orders:", 0), 0u) << map_run_;
  EXPECT_EQ(runs[0]["stateMachineArn"], MachineArn("fan/Orders"));
  EXPECT_TRUE(runs[0]["startDate"].is_number());
  EXPECT_FALSE(runs[0].contains("stopDate"));
}

TEST_F(AwsMapRuns, DescribeCountsTheChildExecutionsOfARunningMapRun) {
  ASSERT_TRUE(WaitUntil([&] { return Describe()["executionCounts"]["running"] == 1; }));
  Json run = Describe();
  EXPECT_EQ(run["mapRunArn"], map_run_);
  EXPECT_EQ(run["executionArn"], execution_);
  EXPECT_EQ(run["status"], "RUNNING");
  EXPECT_EQ(run["maxConcurrency"], 1);
  EXPECT_EQ(run["toleratedFailureCount"], 1);
  EXPECT_EQ(run["toleratedFailurePercentage"], 0.0);
  EXPECT_EQ(run["executionCounts"], Json({{"pending", 2},
                                          {"running", 1},
                                          {"succeeded", 0},
                                          {"failed", 0},
                                          {"timedOut", 0},
                                          {"aborted", 0},
                                          {"total", 3},
                                          {"resultsWritten", 0},
                                          {"failuresNotRedrivable", 0},
                                          {"pendingRedrive", 0}}));
  EXPECT_EQ(run["itemCounts"]["total"], 3);
  EXPECT_FALSE(run.contains("stopDate"));
}

TEST_F(AwsMapRuns, UpdateMapRunLetsMoreChildrenRunAndTheRunEndsSucceeded) {
  AwsAnswer updated = stack_.Call(
      "UpdateMapRun",
      {{"mapRunArn", map_run_}, {"maxConcurrency", 3}, {"toleratedFailurePercentage", 50}});
  ASSERT_EQ(updated.status, 200) << updated.raw;
  EXPECT_EQ(updated.body, Json::object());
  Json run = Describe();  // durable when answered
  EXPECT_EQ(run["maxConcurrency"], 3);
  EXPECT_EQ(run["toleratedFailurePercentage"], 50.0);
  EXPECT_EQ(run["toleratedFailureCount"], 1);
  ASSERT_TRUE(WaitUntil([&] { return Describe()["executionCounts"]["running"] == 3; }))
      << Describe().dump();
  CompleteTasks(3);
  EXPECT_EQ(stack_.WaitForEnd(execution_)["status"], "SUCCEEDED");
  run = Describe();
  EXPECT_EQ(run["status"], "SUCCEEDED");
  EXPECT_EQ(run["executionCounts"]["succeeded"], 3);
  EXPECT_EQ(run["executionCounts"]["pending"], 0);
  EXPECT_TRUE(run["stopDate"].is_number());
  EXPECT_TRUE(MapRuns()[0].contains("stopDate"));
  // An ended run cannot change.
  EXPECT_EQ(ErrorOf(stack_.Call("UpdateMapRun", {{"mapRunArn", map_run_}, {"maxConcurrency", 1}})),
            ValidationError("Map Run '" + map_run_ +
                            "' is SUCCEEDED; only a running Map Run can be updated"));
}

TEST_F(AwsMapRuns, StoppingTheExecutionAbortsItsMapRunAndChildren) {
  ASSERT_TRUE(WaitUntil([&] { return Describe()["executionCounts"]["running"] == 1; }));
  ASSERT_EQ(stack_.Call("StopExecution", {{"executionArn", execution_}}).status, 200);
  Json run = Describe();
  EXPECT_EQ(run["status"], "ABORTED");
  EXPECT_EQ(run["executionCounts"]["aborted"], 1);
  EXPECT_EQ(run["executionCounts"]["running"], 0);
  EXPECT_TRUE(run["stopDate"].is_number());
}

TEST_F(AwsMapRuns, BadRequestsGetPreciseErrors) {
  const std::string unknown = std::string(kArnPrefix) + "mapRun:fan/Orders:nope";
  EXPECT_EQ(ErrorOf(stack_.Call("DescribeMapRun", {{"mapRunArn", unknown}})),
            StatesError("ResourceNotFound", "Resource not found: '" + unknown + "'"));
  EXPECT_EQ(ErrorOf(stack_.Call("UpdateMapRun", {{"mapRunArn", unknown}, {"maxConcurrency", 2}})),
            StatesError("ResourceNotFound", "Resource not found: '" + unknown + "'"));
  EXPECT_EQ(ErrorOf(stack_.Call("ListMapRuns", {{"executionArn", ExecutionArn("fan", "none")}})),
            StatesError("ExecutionDoesNotExist",
                        "Execution Does Not Exist: '" + ExecutionArn("fan", "none") + "'"));
  EXPECT_EQ(ErrorOf(stack_.Call("UpdateMapRun", {{"mapRunArn", map_run_}})),
            ValidationError("At least one of maxConcurrency, toleratedFailurePercentage and "
                            "toleratedFailureCount must be specified"));
  EXPECT_EQ(ErrorOf(stack_.Call("UpdateMapRun",
                                {{"mapRunArn", map_run_}, {"toleratedFailurePercentage", 101}})),
            ValidationError("1 validation error detected: Value '101' at "
                            "'toleratedFailurePercentage' failed to satisfy constraint: Member "
                            "must have value between 0 and 100"));
  EXPECT_EQ(ErrorOf(stack_.Call("DescribeMapRun", {{"mapRunArn", execution_}})).type,
            std::string(kStatesNs) + "InvalidArn");
  // Nothing changed.
  EXPECT_EQ(Describe()["maxConcurrency"], 1);
}

}  // namespace
}  // namespace stepd::api::testing
