#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "asl/asl_run_testing.h"

namespace stepd::asl {
namespace {

using testing::MustCompile;
using testing::RunDefinition;
using testing::TestInfo;
using testing::TestStart;

TEST(Interpreter, EventIdsRunOneToNWithPreviousIds) {
  auto r = RunDefinition(
      R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true}}})",
      Json::object());
  ASSERT_EQ(r.events.size(), 6u);
  for (size_t i = 0; i < r.events.size(); ++i) {
    EXPECT_EQ(r.events[i].id, static_cast<int64_t>(i + 1));
    EXPECT_EQ(r.events[i].previous_event_id, static_cast<int64_t>(i));
  }
  EXPECT_EQ(r.events[1].details_key, "stateEnteredEventDetails");
  EXPECT_EQ(r.events[1].DetailsJson()["name"], "A");
}

TEST(Interpreter, EventsNameTheirStateAndEnteredEventsTheStateLeft) {
  // The machine must outlive the events' views into it.
  auto m = MustCompile(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Next":"B"},
      "B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},
      "C":{"Type":"Succeed"}}})");
  auto e = Execution::Start(m, TestInfo(), Json::object(), TestStart());
  std::vector<HistoryEvent> events;
  while (e->Step(TestStart()).kind == StepResult::Kind::kProgress) {
  }
  ASSERT_TRUE(e->CompleteTask(e->PendingTasks()[0].task_id, AslError{"E", ""}, TestStart()).ok());
  while (e->Step(TestStart()).kind == StepResult::Kind::kProgress) {
  }
  e->TakeEvents(&events);
  std::vector<std::string> entered;
  for (const HistoryEvent& ev : events) {
    if (ev.type.ends_with("StateEntered")) {
      entered.push_back(std::string(ev.from_state) + "->" + std::string(ev.state));
    }
  }
  EXPECT_THAT(entered, ::testing::ElementsAre("->A", "A->B", "B->C"));
  EXPECT_EQ(events.front().state, "");
  EXPECT_EQ(events.back().type, "ExecutionSucceeded");
}

TEST(Interpreter, ContextObjectHasExecutionStateAndStateMachine) {
  auto r = RunDefinition(
      R"({"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"c.$":"$$"},"End":true}}})",
      Json{{"m", 1}});
  const Json& c = r.output["c"];
  EXPECT_EQ(c["Execution"]["Id"], TestInfo().execution_arn);
  EXPECT_EQ(c["Execution"]["Input"], (Json{{"m", 1}}));
  EXPECT_EQ(c["Execution"]["StartTime"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(c["Execution"]["RedriveCount"], 0);
  EXPECT_EQ(c["StateMachine"], (Json{{"Id", TestInfo().state_machine_arn}, {"Name", "sm"}}));
  EXPECT_EQ(c["State"], (Json{{"EnteredTime", "2023-11-14T22:13:20.000Z"}, {"Name", "A"}}));
}

TEST(Interpreter, SnapshotRestoreResumesAParkedTask) {
  auto m = MustCompile(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"v":5},"Next":"T"},
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultPath":"$.r","Next":"W"},
      "W":{"Type":"Wait","Seconds":10,"Next":"B"},
      "B":{"Type":"Pass","Parameters":{"v.$":"$v","r.$":"$.r"},"End":true}}})");
  auto e = Execution::Start(m, TestInfo(), Json::object(), TestStart());
  while (e->Step(TestStart()).kind == StepResult::Kind::kProgress) {
  }
  auto tasks = e->TakeTaskRequests();
  ASSERT_EQ(tasks.size(), 1u);
  const int64_t last_id = e->last_event_id();
  const Json snap = e->Snapshot();
  e.reset();  // the process "crashes"

  auto restored = Execution::Restore(m, Json::parse(snap.dump()));
  ASSERT_TRUE(restored.ok()) << restored.status().message();
  auto& r = restored.value();
  ASSERT_EQ(r->PendingTasks().size(), 1u);
  EXPECT_EQ(r->last_event_id(), last_id);
  ASSERT_TRUE(r->CompleteTask(tasks[0].task_id, Json("out"), TestStart()).ok());
  while (r->Step(TestStart()).kind == StepResult::Kind::kProgress) {
  }
  // Parked in the Wait state: snapshot again and restore again.
  auto again = Execution::Restore(m, r->Snapshot());
  ASSERT_TRUE(again.ok());
  StepResult s = again.value()->Step(TestStart());
  ASSERT_EQ(s.kind, StepResult::Kind::kBlocked);
  EXPECT_EQ(s.wake_at, TestStart() + std::chrono::seconds(10));
  while (again.value()->Step(TestStart() + std::chrono::seconds(10)).kind ==
         StepResult::Kind::kProgress) {
  }
  EXPECT_EQ(again.value()->status(), ExecutionStatus::kSucceeded);
  EXPECT_EQ(again.value()->output(), (Json{{"v", 5}, {"r", "out"}}));
  auto events = again.value()->TakeEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "ExecutionSucceeded");
}

TEST(Interpreter, RestoreRejectsASnapshotOfAnotherMachine) {
  auto m = MustCompile(R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"X"},
      "X":{"Type":"Pass","End":true}}})");
  auto e = Execution::Start(m, TestInfo(), Json::object(), TestStart());
  e->Step(TestStart());
  Json snap = e->Snapshot();
  snap["frames"][0]["state"] = 7;
  auto r = Execution::Restore(m, snap);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Execution::Restore(m, Json::object()).status().code(), StatusCode::kInvalidArgument);
}

TEST(Interpreter, PayloadLimitFailsWithDataLimitExceeded) {
  ExecutionOptions o;
  o.max_payload_bytes = 20;
  auto r = RunDefinition(R"({"StartAt":"State_1","States":{"State_1":{"Type":"Pass",
      "Result":"0123456789012345678901234567890","End":true}}})",
                         Json::object(), nullptr, o);
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error, (AslError{"States.DataLimitExceeded",
                               "The state/task 'State_1' returned a result with a size exceeding "
                               "the maximum number of bytes service limit."}));
}

TEST(Interpreter, StopAbortsAndRecordsTheEvent) {
  auto m =
      MustCompile(R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}})");
  auto e = Execution::Start(m, TestInfo(), Json::object(), TestStart());
  e->Step(TestStart());
  e->Stop(ExecutionStatus::kAborted, "", "user", TestStart());
  EXPECT_EQ(e->status(), ExecutionStatus::kAborted);
  EXPECT_EQ(e->TakeEvents().back().type, "ExecutionAborted");
  EXPECT_EQ(e->Step(TestStart()).kind, StepResult::Kind::kFinished);
}

TEST(Interpreter, MaxEventsStopsARunawayLoop) {
  auto m = MustCompile(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}})");
  FakeClock clock(TestStart());
  testing::ScriptedInvoker inv;
  auto e = Execution::Start(m, TestInfo(), Json::object(), clock.Now());
  RunExecution(*e, inv, clock, nullptr, 50);
  EXPECT_EQ(e->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(e->error().error, "States.Runtime");
}

TEST(Interpreter, RunsAThousandStateChainQuickly) {
  Json def = {{"StartAt", "S0"}, {"States", Json::object()}};
  for (int i = 0; i < 1000; ++i) {
    Json s = {{"Type", "Pass"}};
    if (i == 999) {
      s["End"] = true;
    } else {
      s["Next"] = "S" + std::to_string(i + 1);
    }
    def["States"]["S" + std::to_string(i)] = s;
  }
  const auto t0 = std::chrono::steady_clock::now();
  CompileResult c = Compile(def.dump());
  const auto compile_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  ASSERT_TRUE(c.ok());
  EXPECT_LT(compile_ms.count(), 500);
  auto r = RunDefinition(def.dump(), Json{{"x", 1}});
  EXPECT_EQ(r.output, (Json{{"x", 1}}));
  EXPECT_EQ(r.events.size(), 2002u);
}

}  // namespace
}  // namespace stepd::asl

namespace stepd::asl {
namespace {

TEST(Interpreter, RunExecutionEnforcesTimeoutSeconds) {
  auto m = testing::MustCompile(
      R"({"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}})");
  FakeClock clock(testing::TestStart());
  testing::ScriptedInvoker inv;
  auto e = Execution::Start(m, testing::TestInfo(), Json::object(), clock.Now());
  std::vector<HistoryEvent> h;
  RunExecution(*e, inv, clock, &h);
  EXPECT_EQ(e->status(), ExecutionStatus::kTimedOut);
  EXPECT_EQ(e->error().error, "States.Timeout");
  EXPECT_EQ(clock.Now(), testing::TestStart() + std::chrono::seconds(5));
  EXPECT_EQ(h.back().type, "ExecutionTimedOut");
}

}  // namespace
}  // namespace stepd::asl
