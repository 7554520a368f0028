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

TEST(Interpreter, EveryExitThatAssignsRecordsTheVariablesAndNoOtherDoes) {
  auto r = RunDefinition(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
           "Catch":[{"ErrorEquals":["States.TaskFailed"],"Assign":{"caught.$":"$.Error","n":1},
                     "Next":"U"}],
           "End":true},
      "U":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
           "Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},
      "C":{"Type":"Choice","Choices":[{"Variable":"$n","NumericEquals":1,
           "Assign":{"picked":true},"Next":"D"}],"Default":"D"},
      "D":{"Type":"Pass","End":true}}})",
                         Json::object());
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded);
  std::vector<std::pair<std::string, Json>> exits;
  for (const HistoryEvent& e : r.events) {
    if (e.type.ends_with("StateExited")) {
      const Json d = e.DetailsJson();
      exits.emplace_back(d["name"], d.value("assignedVariables", Json()));
      if (d.contains("assignedVariables")) {
        EXPECT_EQ(d["assignedVariablesDetails"], (Json{{"truncated", false}})) << e.type;
      }
    }
  }
  // T's failure is caught by an Assign; U's by none; the Choice rule assigns.
  EXPECT_EQ(exits, (std::vector<std::pair<std::string, Json>>{
                       {"T", Json{{"caught", R"("States.TaskFailed")"}, {"n", "1"}}},
                       {"U", Json()},
                       {"C", Json{{"picked", "true"}}},
                       {"D", Json()}}));
}

// ---------------------------------------------------------------------------
// StartAt

constexpr std::string_view kThreeStates = R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"x":1},"Next":"B"},
    "B":{"Type":"Pass","Parameters":{"x.$":"$x","y.$":"$y","in.$":"$"},"Next":"C"},
    "C":{"Type":"Pass","End":true}}})";

TEST(StartAt, EntersTheStateWithTheInputAndTheVariables) {
  auto m = MustCompile(kThreeStates);
  StartPoint start{"B", Json{{"x", 5}, {"y", "why"}}};
  auto e = Execution::StartAt(m, TestInfo(), Json{{"k", 1}}, TestStart(), start);
  ASSERT_TRUE(e.ok()) << e.status();
  while ((*e)->Step(TestStart()).kind == StepResult::Kind::kProgress) {
  }
  EXPECT_EQ((*e)->status(), ExecutionStatus::kSucceeded);
  EXPECT_EQ((*e)->input(), (Json{{"k", 1}}));
  EXPECT_EQ((*e)->output(), (Json{{"x", 5}, {"y", "why"}, {"in", {{"k", 1}}}}));
  const std::vector<HistoryEvent> events = (*e)->TakeEvents();
  std::vector<std::string> types;
  for (const HistoryEvent& ev : events) types.emplace_back(ev.type);
  EXPECT_THAT(types,
              ::testing::ElementsAre("ExecutionStarted", "PassStateEntered", "PassStateExited",
                                     "PassStateEntered", "PassStateExited", "ExecutionSucceeded"));
  // ExecutionStarted as Start() records it; then B, entered from nowhere.
  auto plain = Execution::Start(m, TestInfo(), Json{{"k", 1}}, TestStart());
  EXPECT_EQ(events[0].details, plain->TakeEvents()[0].details);
  EXPECT_EQ(
      events[1].DetailsJson(),
      (Json{{"name", "B"}, {"input", R"({"k":1})"}, {"inputDetails", {{"truncated", false}}}}));
  EXPECT_EQ(events[1].from_state, "");
  EXPECT_EQ(events[1].previous_event_id, 1);
}

TEST(StartAt, WithoutVariablesNoneAreInScope) {
  auto m = MustCompile(kThreeStates);
  auto e = Execution::StartAt(m, TestInfo(), Json::object(), TestStart(), StartPoint{"B", Json()});
  ASSERT_TRUE(e.ok()) << e.status();
  while ((*e)->Step(TestStart()).kind == StepResult::Kind::kProgress) {
  }
  EXPECT_EQ((*e)->status(), ExecutionStatus::kFailed);
  EXPECT_EQ((*e)->error().error, "States.Runtime");
}

TEST(StartAt, RefusesAStateThatIsNotTopLevelOrVariablesThatAreNoObject) {
  auto m = MustCompile(R"({"StartAt":"P","States":{
      "P":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"Inner","States":{"Inner":{"Type":"Pass","Next":"M"},
          "M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"Deep",
             "States":{"Deep":{"Type":"Pass","End":true}}}}}}]}}})");
  auto start = [&](std::string state, Json variables) {
    return Execution::StartAt(m, TestInfo(), Json::object(), TestStart(),
                              StartPoint{std::move(state), std::move(variables)})
        .status();
  };
  EXPECT_EQ(start("Nope", Json()), InvalidArgumentError("The state machine has no state 'Nope'"));
  EXPECT_EQ(start("Inner", Json()),
            InvalidArgumentError(
                "State 'Inner' is not a top-level state: it runs inside the Parallel state 'P'"));
  EXPECT_EQ(start("Deep", Json()),
            InvalidArgumentError("State 'Deep' is not a top-level state: it runs inside the Map "
                                 "state 'M', within the top-level state 'P'"));
  EXPECT_EQ(start("P", Json::array({1})),
            InvalidArgumentError(
                "The variables to start state 'P' with must be an object or null, not array"));
  EXPECT_EQ(start("P", Json(3)).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(start("P", Json::object()).ok());
}

TEST(StartAt, SurvivesSnapshotAndRestoreBeforeAndWhileItRuns) {
  auto m = MustCompile(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"v":1},"Next":"T"},
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
           "Parameters":{"v.$":"$v"},"ResultPath":"$.r","Next":"B"},
      "B":{"Type":"Pass","Parameters":{"v.$":"$v","w.$":"$w","r.$":"$.r"},"End":true}}})");
  auto e = Execution::StartAt(m, TestInfo(), Json{{"in", 1}}, TestStart(),
                              StartPoint{"T", Json{{"v", 7}, {"w", "dub"}}});
  ASSERT_TRUE(e.ok()) << e.status();
  // Restored before its first step...
  auto restored = Execution::Restore(m, Json::parse((*e)->Snapshot().dump()));
  ASSERT_TRUE(restored.ok()) << restored.status();
  while ((*restored)->Step(TestStart()).kind == StepResult::Kind::kProgress) {
  }
  auto tasks = (*restored)->TakeTaskRequests();
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].state_name, "T");
  EXPECT_EQ(tasks[0].parameters, (Json{{"v", 7}}));
  // ... and again while its task runs.
  auto again = Execution::Restore(m, Json::parse((*restored)->Snapshot().dump()));
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE((*again)->CompleteTask(tasks[0].task_id, Json("done"), TestStart()).ok());
  while ((*again)->Step(TestStart()).kind == StepResult::Kind::kProgress) {
  }
  EXPECT_EQ((*again)->status(), ExecutionStatus::kSucceeded);
  EXPECT_EQ((*again)->output(), (Json{{"v", 7}, {"w", "dub"}, {"r", "done"}}));
}

// ---------------------------------------------------------------------------
// Redrive

// Runs `exec` to its end with `invoker`, appending its own events to `events`.
void Drive(Execution& exec, testing::ScriptedInvoker& invoker, FakeClock& clock,
           std::vector<HistoryEvent>* events) {
  RunExecution(exec, invoker, clock, events);
}

// What the durable runtime does between the failure and the redrive: the
// execution leaves memory as a snapshot and comes back from it.
std::unique_ptr<Execution> ThroughSnapshot(std::shared_ptr<const StateMachine> m,
                                           const Execution& exec) {
  auto restored = Execution::Restore(std::move(m), Json::parse(exec.Snapshot().dump()));
  EXPECT_TRUE(restored.ok()) << restored.status().message();
  return restored.ok() ? std::move(restored).value() : nullptr;
}

std::vector<std::string> EnteredStates(const std::vector<HistoryEvent>& events) {
  std::vector<std::string> out;
  for (const HistoryEvent& e : events) {
    if (e.type.ends_with("StateEntered")) out.emplace_back(e.DetailsJson()["name"]);
  }
  return out;
}

size_t CallsOf(const testing::ScriptedInvoker& invoker, std::string_view state) {
  size_t n = 0;
  for (const TaskRequest& r : invoker.requests) n += r.state_name == state;
  return n;
}

TEST(Redrive, RerunsTheFailedTaskWithItsInputAndVariablesAndNothingBefore) {
  auto m = MustCompile(R"({"StartAt":"Load","States":{
      "Load":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Assign":{"loaded.$":"$$.Execution.Input"},
              "ResultPath":"$.load","Next":"Export"},
      "Export":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
                "Parameters":{"load.$":"$.load","v.$":"$loaded.job","redrives.$":"$$.Execution.RedriveCount"},
                "End":true}}})");
  testing::ScriptedInvoker invoker;
  invoker.Answer("Load", {Json("rows")});
  invoker.Answer("Export", {AslError{"Export.Failed", "disk full"}, Json("exported")});
  FakeClock clock(TestStart());
  auto exec = Execution::Start(m, TestInfo(), Json{{"job", 7}}, clock.Now());
  std::vector<HistoryEvent> events;
  Drive(*exec, invoker, clock, &events);
  ASSERT_EQ(exec->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(exec->error().error, "Export.Failed");

  auto again = ThroughSnapshot(m, *exec);
  ASSERT_NE(again, nullptr);
  clock.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(again->Redrive(clock.Now()).ok());
  EXPECT_EQ(again->status(), ExecutionStatus::kRunning);
  EXPECT_EQ(again->info().redrive_count, 1);
  Drive(*again, invoker, clock, &events);
  ASSERT_EQ(again->status(), ExecutionStatus::kSucceeded);
  EXPECT_EQ(again->output(), Json("exported"));
  EXPECT_EQ(CallsOf(invoker, "Load"), 1u);
  ASSERT_EQ(CallsOf(invoker, "Export"), 2u);
  EXPECT_EQ(invoker.requests.back().parameters,
            (Json{{"load", "rows"}, {"v", 7}, {"redrives", 1}}));
  EXPECT_EQ(EnteredStates(events), (std::vector<std::string>{"Load", "Export", "Export"}));
  // ... ExecutionFailed, ExecutionRedriven {redriveCount: 1}, TaskStateEntered ...
  size_t failed = 0;
  while (events[failed].type != "ExecutionFailed") ++failed;
  ASSERT_LT(failed + 2, events.size());
  EXPECT_EQ(events[failed + 1].type, "ExecutionRedriven");
  EXPECT_EQ(events[failed + 1].DetailsJson(), (Json{{"redriveCount", 1}}));
  EXPECT_EQ(events[failed + 1].id, events[failed].id + 1);
  EXPECT_EQ(events[failed + 2].type, "TaskStateEntered");
  EXPECT_EQ(events[failed + 2].previous_event_id, events[failed + 1].id);
  EXPECT_EQ(events[failed + 2].DetailsJson()["input"].get<std::string>(),
            R"({"job":7,"load":"rows"})");
  for (size_t i = 1; i < events.size(); ++i) EXPECT_EQ(events[i].id, events[i - 1].id + 1);
}

TEST(Redrive, AStateThatConsumedItsInputGetsItBackFromItsEnteredEvent) {
  // A Choice without Default moves its input out before failing.
  auto m = MustCompile(R"({"StartAt":"P","States":{
      "P":{"Type":"Pass","Result":{"n":3},"Next":"C"},
      "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"D"}]},
      "D":{"Type":"Succeed"}}})");
  testing::ScriptedInvoker invoker;
  FakeClock clock(TestStart());
  auto exec = Execution::Start(m, TestInfo(), Json::object(), clock.Now());
  std::vector<HistoryEvent> events;
  Drive(*exec, invoker, clock, &events);
  ASSERT_EQ(exec->error().error, "States.NoChoiceMatched");
  auto again = ThroughSnapshot(m, *exec);
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->Redrive(clock.Now()).ok());
  Drive(*again, invoker, clock, &events);
  EXPECT_EQ(again->error().error, "States.NoChoiceMatched");
  std::vector<std::string> inputs;
  for (const HistoryEvent& e : events) {
    if (e.type == "ChoiceStateEntered") inputs.push_back(e.DetailsJson()["input"]);
  }
  EXPECT_EQ(inputs, (std::vector<std::string>{R"({"n":3})", R"({"n":3})"}));
}

TEST(Redrive, AParallelRerunsOnlyItsFailedBranchFromTheStateThatFailed) {
  auto m = MustCompile(R"({"StartAt":"Par","States":{"Par":{"Type":"Parallel","End":true,
      "Branches":[
        {"StartAt":"A1","States":{"A1":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
        {"StartAt":"B1","States":{"B1":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Next":"B2"},
                                  "B2":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}]}}})");
  testing::ScriptedInvoker invoker;
  invoker.Answer("A1", {Json("a")});
  invoker.Answer("B1", {Json("b1")});
  invoker.Answer("B2", {AslError{"Flaky", "once"}, Json("b2")});
  FakeClock clock(TestStart());
  auto exec = Execution::Start(m, TestInfo(), Json::object(), clock.Now());
  std::vector<HistoryEvent> events;
  Drive(*exec, invoker, clock, &events);
  ASSERT_EQ(exec->status(), ExecutionStatus::kFailed);
  auto again = ThroughSnapshot(m, *exec);
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->Redrive(clock.Now()).ok());
  Drive(*again, invoker, clock, &events);
  ASSERT_EQ(again->status(), ExecutionStatus::kSucceeded) << again->error().cause;
  EXPECT_EQ(again->output(), (Json{"a", "b2"}));
  EXPECT_EQ(CallsOf(invoker, "A1"), 1u);
  EXPECT_EQ(CallsOf(invoker, "B1"), 1u);
  EXPECT_EQ(CallsOf(invoker, "B2"), 2u);
}

TEST(Redrive, AMapKeepsSucceededIterationsAndStartsTheOnesNeverReached) {
  auto m = MustCompile(R"({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"End":true,
      "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"T","States":{
        "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}}}})");
  // Answers in call order: item 0, item 1, item 2 fails; after the redrive
  // item 2, 3, 4.
  testing::ScriptedInvoker invoker;
  invoker.Answer("T", {Json(0), Json(10), AslError{"Bad", "item 2"}, Json(20), Json(30), Json(40)});
  FakeClock clock(TestStart());
  auto exec = Execution::Start(m, TestInfo(), Json{1, 2, 3, 4, 5}, clock.Now());
  std::vector<HistoryEvent> events;
  Drive(*exec, invoker, clock, &events);
  ASSERT_EQ(exec->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(CallsOf(invoker, "T"), 3u);
  auto again = ThroughSnapshot(m, *exec);
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->Redrive(clock.Now()).ok());
  Drive(*again, invoker, clock, &events);
  ASSERT_EQ(again->status(), ExecutionStatus::kSucceeded) << again->error().cause;
  EXPECT_EQ(again->output(), (Json{0, 10, 20, 30, 40}));
  EXPECT_EQ(CallsOf(invoker, "T"), 6u);
  std::vector<Json> inputs;
  for (const TaskRequest& r : invoker.requests) inputs.push_back(r.parameters);
  EXPECT_EQ(inputs, (std::vector<Json>{1, 2, 3, 3, 4, 5}));
}

TEST(Redrive, AStoppedExecutionResumesEveryUnitWhereItWas) {
  auto m = MustCompile(R"({"StartAt":"Par","States":{"Par":{"Type":"Parallel","Next":"Done",
      "Branches":[
        {"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}},
        {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}]},
      "Done":{"Type":"Pass","End":true}}})");
  FakeClock clock(TestStart());
  auto exec = Execution::Start(m, TestInfo(), Json{{"k", 1}}, clock.Now());
  while (exec->Step(clock.Now()).kind == StepResult::Kind::kProgress) {
  }
  auto tasks = exec->TakeTaskRequests();
  ASSERT_EQ(tasks.size(), 1u);
  ASSERT_TRUE(exec->CompleteTask(tasks[0].task_id, Json("t"), clock.Now()).ok());
  while (exec->Step(clock.Now()).kind == StepResult::Kind::kProgress) {
  }
  exec->Stop(ExecutionStatus::kAborted, "", "operator", clock.Now());
  ASSERT_EQ(exec->status(), ExecutionStatus::kAborted);

  auto again = ThroughSnapshot(m, *exec);
  ASSERT_NE(again, nullptr);
  clock.Advance(std::chrono::seconds(10));
  ASSERT_TRUE(again->Redrive(clock.Now()).ok());
  testing::ScriptedInvoker invoker;  // the finished branch must not call again
  std::vector<HistoryEvent> events;
  Drive(*again, invoker, clock, &events);
  ASSERT_EQ(again->status(), ExecutionStatus::kSucceeded) << again->error().cause;
  EXPECT_EQ(again->output(), (Json{{{"k", 1}}, "t"}));
  EXPECT_TRUE(invoker.requests.empty());
  EXPECT_EQ(EnteredStates(events), (std::vector<std::string>{"W", "Done"}));
  EXPECT_EQ(events.front().type, "ExecutionRedriven");
}

TEST(Redrive, ARetriedOrCaughtFailureLeavesNothingBehind) {
  auto m = MustCompile(R"({"StartAt":"Par","States":{"Par":{"Type":"Parallel","Next":"Fail",
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Fail"}],
      "Branches":[{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}]},
      "Fail":{"Type":"Fail","Error":"Final"}}})");
  testing::ScriptedInvoker invoker;
  invoker.Answer("T", {AslError{"E", "boom"}, Json("ok")});
  FakeClock clock(TestStart());
  auto exec = Execution::Start(m, TestInfo(), Json::object(), clock.Now());
  std::vector<HistoryEvent> events;
  Drive(*exec, invoker, clock, &events);
  ASSERT_EQ(exec->error().error, "Final");
  // The Fail state is what failed: the redrive enters it again, and the
  // caught branch is not run again.
  ASSERT_TRUE(exec->Redrive(clock.Now()).ok());
  Drive(*exec, invoker, clock, &events);
  EXPECT_EQ(exec->error().error, "Final");
  EXPECT_EQ(CallsOf(invoker, "T"), 1u);
  EXPECT_EQ(EnteredStates(events), (std::vector<std::string>{"Par", "T", "Fail", "Fail"}));
}

TEST(Redrive, IsRefusedForRunningAndSucceededExecutions) {
  auto m = MustCompile(R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}})");
  FakeClock clock(TestStart());
  auto exec = Execution::Start(m, TestInfo(), Json::object(), clock.Now());
  Status running = exec->Redrive(clock.Now());
  EXPECT_EQ(running.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(running.message(), "Execution is RUNNING and cannot be redriven");
  testing::ScriptedInvoker invoker;
  Drive(*exec, invoker, clock, nullptr);
  ASSERT_EQ(exec->status(), ExecutionStatus::kSucceeded);
  EXPECT_EQ(exec->Redrive(clock.Now()).message(), "Execution is SUCCEEDED and cannot be redriven");
}

TEST(Redrive, TheExecutionTimeoutCountsFromTheRedrive) {
  auto m = MustCompile(R"({"TimeoutSeconds":60,"StartAt":"W","States":{
      "W":{"Type":"Wait","Seconds":50,"End":true}}})");
  FakeClock clock(TestStart());
  auto exec = Execution::Start(m, TestInfo(), Json::object(), clock.Now());
  exec->Step(clock.Now());
  clock.Advance(std::chrono::seconds(20));
  exec->Stop(ExecutionStatus::kAborted, "", "", clock.Now());
  clock.Advance(std::chrono::hours(1));
  ASSERT_TRUE(exec->Redrive(clock.Now()).ok());
  EXPECT_EQ(ExecutionDeadline(*exec), clock.Now() + std::chrono::seconds(60));
  testing::ScriptedInvoker invoker;
  Drive(*exec, invoker, clock, nullptr);
  EXPECT_EQ(exec->status(), ExecutionStatus::kSucceeded);
}

// Steps `exec` to its end at `now`, answering tasks with `invoker`, and
// keeps everything it reports (RunExecution drops child executions).
struct Collected {
  std::vector<HistoryEvent> events;
  std::vector<ChildExecutionStart> children;
  std::vector<MapRunInfo> runs;
};
void DriveCollecting(Execution& exec, testing::ScriptedInvoker& invoker, TimePoint now,
                     Collected* out) {
  for (int guard = 0; guard < 10000; ++guard) {
    StepResult r = exec.Step(now);
    for (TaskRequest& t : exec.TakeTaskRequests()) {
      const int64_t id = t.task_id;
      invoker.Invoke(t, [&exec, id, now](AslResult<Json> result) {
        (void)exec.CompleteTask(id, std::move(result), now);
      });
    }
    exec.TakeEvents(&out->events);
    for (ChildExecutionStart& c : exec.TakeChildExecutions()) out->children.push_back(c);
    for (MapRunInfo& m : exec.TakeMapRunChanges()) out->runs.push_back(m);
    if (r.kind == StepResult::Kind::kFinished) return;
  }
  ADD_FAILURE() << "the execution did not finish";
}

TEST(Redrive, ADistributedMapRedrivesItsFailedChildExecutionsAndItsMapRun) {
  auto m = MustCompile(R"({"StartAt":"M","States":{"M":{"Type":"Map","End":true,
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
        "StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}}}})");
  testing::ScriptedInvoker invoker;
  invoker.Answer("T", {Json("a"), AslError{"Bad", "b"}, Json("b")});
  auto exec = Execution::Start(m, TestInfo(), Json{1, 2}, TestStart());
  Collected first;
  DriveCollecting(*exec, invoker, TestStart(), &first);
  ASSERT_EQ(exec->status(), ExecutionStatus::kFailed);
  ASSERT_EQ(first.children.size(), 2u);
  ASSERT_FALSE(first.runs.empty());
  EXPECT_EQ(first.runs.back().status, MapRunStatus::kFailed);

  auto again = ThroughSnapshot(m, *exec);
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->Redrive(TestStart()).ok());
  Collected more;
  DriveCollecting(*again, invoker, TestStart(), &more);
  ASSERT_EQ(again->status(), ExecutionStatus::kSucceeded) << again->error().cause;
  EXPECT_EQ(again->output(), (Json{"a", "b"}));
  // Only the failed child runs again, under its own ARN.
  ASSERT_EQ(more.children.size(), 1u);
  EXPECT_TRUE(more.children[0].redriven);
  EXPECT_EQ(more.children[0].info.execution_arn, first.children[1].info.execution_arn);
  EXPECT_EQ(more.children[0].input, Json(2));
  ASSERT_GE(more.runs.size(), 2u);
  EXPECT_EQ(more.runs.front().arn, first.runs.back().arn);
  EXPECT_EQ(more.runs.front().status, MapRunStatus::kRunning);
  EXPECT_EQ(more.runs.front().redrive_count, 1);
  EXPECT_EQ(more.runs.back().status, MapRunStatus::kSucceeded);
  // The parent records MapRunRedriven; the child's history goes on with
  // ExecutionRedriven after its ExecutionFailed.
  std::vector<std::string> parent_types;
  std::vector<std::string> child_types;
  int64_t child_last_before = 0;
  for (const HistoryEvent& e : first.events) {
    if (e.child_execution == more.children[0].id) child_last_before = e.id;
  }
  int64_t child_first_after = 0;
  for (const HistoryEvent& e : more.events) {
    (e.child_execution == 0 ? parent_types : child_types).emplace_back(e.type);
    if (e.child_execution != 0 && child_first_after == 0) child_first_after = e.id;
  }
  EXPECT_EQ(parent_types.front(), "ExecutionRedriven");
  EXPECT_THAT(parent_types, ::testing::Contains("MapRunRedriven"));
  ASSERT_FALSE(child_types.empty());
  EXPECT_EQ(child_types.front(), "ExecutionRedriven");
  EXPECT_EQ(child_types.back(), "ExecutionSucceeded");
  EXPECT_EQ(child_first_after, child_last_before + 1);
}

}  // namespace
}  // namespace stepd::asl
