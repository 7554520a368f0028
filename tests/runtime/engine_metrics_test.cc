#include "stepd/runtime/engine_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>

#include "runtime_testing.h"
#include "stepd/base/metrics.h"

namespace stepd::runtime {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ExecutionArn;
using testing::TestEngine;
using testing::TestStore;
using testing::WaitForEnd;
using testing::WaitUntil;

TEST(TaskResourceType, NamesTheIntegrationNotTheFunctionOrActivity) {
  EXPECT_EQ(TaskResourceType("arn:aws:states:::http:invoke"), "http:invoke");
  EXPECT_EQ(TaskResourceType("arn:aws:states:::lambda:invoke.waitForTaskToken"),
            "lambda:invoke.waitForTaskToken");
  EXPECT_EQ(TaskResourceType("arn:aws:states:::states:startExecution.sync:2"),
            "states:startExecution.sync:2");
  EXPECT_EQ(TaskResourceType("arn:aws:states:us-east-1:123456789012:activity:reports"),
            "activity");
  EXPECT_EQ(TaskResourceType("arn:aws:lambda:us-east-1:123456789012:function:export"),
            "lambda:function");
  EXPECT_EQ(TaskResourceType("urn:something"), "other");
  EXPECT_EQ(TaskResourceType("arn:aws:states:::" + std::string(200, 'x')).size(), 64u);
}

TEST(StateMachineNameOf, ReadsStandardExpressAndMapRunChildArns) {
  EXPECT_EQ(StateMachineNameOf("arn:aws:states:us-east-1:1:execution:nightly:run-1"), "nightly");
  EXPECT_EQ(StateMachineNameOf("arn:aws:states:us-east-1:1:express:fast:n:uuid"), "fast");
  EXPECT_EQ(StateMachineNameOf("arn:aws:states:us-east-1:1:execution:parent/Map:uuid"), "parent");
  EXPECT_EQ(StateMachineNameOf("not-an-arn"), "");
}

constexpr char kFailOrSucceed[] = R"({"StartAt":"Check","States":{
    "Check":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"Boom"}],
             "Default":"Work"},
    "Work":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true},
    "Boom":{"Type":"Fail","Error":"E","Cause":"c"}}})";

TEST(EngineMetrics, CountsStartsEndsTransitionsAndTasksOnceTheyAreDurable) {
  metrics::Registry registry;
  TestStore store;
  store.CreateMachine("etl", kFailOrSucceed);
  TestEngine t(store.get(), {}, true, &registry);
  auto ok = t.Start("etl", "ok", R"({"fail":false})");
  auto bad = t.Start("etl", "bad", R"({"fail":true})");
  ASSERT_TRUE(ok.ok() && bad.ok());
  t.executor.WaitForCalls(1);
  EXPECT_TRUE(WaitUntil([&] {
    return registry.Render().find("stepd_tasks_in_flight{resource=\"lambda:function\"} 1\n") !=
           std::string::npos;
  }));
  t.executor.Answer(0, Json::parse(R"({"done":true})"));
  EXPECT_EQ(WaitForEnd(*store, ok->execution_arn).status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(WaitForEnd(*store, bad->execution_arn).status, store::ExecutionStatus::kFailed);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("stepd_executions_started_total{state_machine=\"etl\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("stepd_executions_finished_total{state_machine=\"etl\","
                              "status=\"SUCCEEDED\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("stepd_executions_finished_total{state_machine=\"etl\","
                              "status=\"FAILED\"} 1\n"));
  // ok: Check, Work; bad: Check, Boom.
  EXPECT_THAT(text, HasSubstr("stepd_state_transitions_total{state_machine=\"etl\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("stepd_task_duration_seconds_count{resource=\"lambda:function\","
                              "outcome=\"succeeded\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("stepd_tasks_in_flight{resource=\"lambda:function\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("stepd_ready_executions 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("stepd_commit_duration_seconds_count 0\n")));
  EXPECT_THAT(text, HasSubstr("stepd_commit_failures_total 0\n"));
}

TEST(EngineMetrics, AFailedTaskAndARedriveAreCounted) {
  metrics::Registry registry;
  TestStore store;
  store.CreateMachine("etl", kFailOrSucceed);
  TestEngine t(store.get(), {}, true, &registry);
  auto run = t.Start("etl", "r", R"({"fail":false})");
  ASSERT_TRUE(run.ok());
  t.executor.WaitForCalls(1);
  t.executor.Answer(0, asl::AslError{"Export.Broken", "disk full"});
  EXPECT_EQ(WaitForEnd(*store, run->execution_arn).status, store::ExecutionStatus::kFailed);
  std::promise<StatusOr<RedriveResult>> redriven;
  t.engine->RedriveExecution({run->execution_arn, "admin", ""},
                             [&](StatusOr<RedriveResult> r) { redriven.set_value(r); });
  ASSERT_TRUE(redriven.get_future().get().ok());
  t.executor.WaitForCalls(2);
  t.executor.Answer(1, Json::parse("{}"));
  EXPECT_TRUE(WaitUntil([&] {
    return registry.Render().find("status=\"SUCCEEDED\"} 1\n") != std::string::npos;
  }));
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("stepd_task_duration_seconds_count{resource=\"lambda:function\","
                              "outcome=\"failed\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("stepd_executions_redriven_total{state_machine=\"etl\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("status=\"FAILED\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("stepd_executions_started_total{state_machine=\"etl\"} 1\n"));
}

TEST(EngineMetrics, ACommitThatFailsIsCountedAndCountsNoTransition) {
  metrics::Registry registry;
  TestStore store;
  store.CreateMachine("etl", kFailOrSucceed);
  testing::FaultyStore faulty(store.get());
  RuntimeOptions options;
  options.commit_retries = 0;
  TestEngine t(&faulty, options, true, &registry);
  faulty.fail_commits = 1;
  auto refused = t.Start("etl", "x", R"({"fail":true})");
  EXPECT_FALSE(refused.ok());
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("stepd_commit_failures_total 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("stepd_executions_started_total{")));
}

}  // namespace
}  // namespace stepd::runtime
