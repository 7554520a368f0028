#include "stepd/asl/restart.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "asl/asl_run_testing.h"

namespace stepd::asl {
namespace {

using testing::MustCompile;
using testing::ScriptedInvoker;
using testing::TestInfo;
using testing::TestStart;

struct Outcome {
  ExecutionStatus status = ExecutionStatus::kRunning;
  Json output;
  std::vector<HistoryEvent> events;
};

// Runs `m` to its end from its StartAt, or from `start` when given.
Outcome RunFrom(std::shared_ptr<const StateMachine> m, const Json& input, ScriptedInvoker& invoker,
                const StartPoint* start = nullptr) {
  Outcome run;
  FakeClock clock(TestStart());
  std::unique_ptr<Execution> e;
  if (start == nullptr) {
    e = Execution::Start(m, TestInfo(), input, clock.Now());
  } else {
    auto started = Execution::StartAt(m, TestInfo(), input, clock.Now(), *start);
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return run;
    e = std::move(started).value();
  }
  RunExecution(*e, invoker, clock, &run.events);
  run.status = e->status();
  run.output = e->output();
  return run;
}

// The history as the store hands it back.
std::vector<RecordedEvent> Recorded(const std::vector<HistoryEvent>& events) {
  std::vector<RecordedEvent> out;
  for (const HistoryEvent& e : events) out.push_back(RecordedEvent{e.type, e.details});
  return out;
}

RestartPoint MustFind(const StateMachine& m, std::string_view state,
                      const std::vector<HistoryEvent>& events) {
  StatusOr<RestartPoint> p = FindRestartPoint(m, state, Recorded(events));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(p).value() : RestartPoint{};
}

// Events from `from` on, without ids and timestamps.
std::vector<std::pair<std::string, std::string>> Tail(const std::vector<HistoryEvent>& events,
                                                      size_t from) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = from; i < events.size(); ++i) {
    out.emplace_back(std::string(events[i].type), events[i].details);
  }
  return out;
}

// A assigns x; B reassigns x and assigns y; C's task fails.
constexpr std::string_view kAbc = R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"x":1},"Result":{"a":1},"Next":"B"},
    "B":{"Type":"Pass","Assign":{"x":2,"y.$":"$.b"},"Result":{"b":"bee"},"ResultPath":"$.fromB",
         "Next":"C"},
    "C":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
         "Parameters":{"x.$":"$x","y.$":"$y","in.$":"$"},"End":true}}})";

TEST(FindRestartPoint, GivesTheInputOfTheEntryAndTheVariablesAssignedBeforeIt) {
  auto m = MustCompile(kAbc);
  ScriptedInvoker failing;
  failing.Answer("C", {AslError{"C.Failed", "no"}});
  Outcome old = RunFrom(m, Json{{"start", 0}}, failing);
  ASSERT_EQ(old.status, ExecutionStatus::kFailed);

  RestartPoint a = MustFind(*m, "A", old.events);
  EXPECT_TRUE(a.entered);
  EXPECT_EQ(a.input, (Json{{"start", 0}}));
  EXPECT_EQ(a.variables, Json());
  EXPECT_EQ(a.event_index, 1u);

  RestartPoint b = MustFind(*m, "B", old.events);
  EXPECT_TRUE(b.entered);
  EXPECT_EQ(b.input, (Json{{"a", 1}}));
  EXPECT_EQ(b.variables, (Json{{"x", 1}}));
  EXPECT_EQ(b.event_index, 3u);
  EXPECT_EQ(old.events[b.event_index].type, "PassStateEntered");

  RestartPoint c = MustFind(*m, "C", old.events);
  EXPECT_TRUE(c.entered);
  EXPECT_EQ(c.input, (Json{{"a", 1}, {"fromB", {{"b", "bee"}}}}));
  EXPECT_EQ(c.variables, (Json{{"x", 2}, {"y", "bee"}}));
  EXPECT_EQ(c.event_index, 5u);
  EXPECT_EQ(old.events[c.event_index].type, "TaskStateEntered");
}

TEST(FindRestartPoint, TheRestartedRunEndsAsTheOriginalWouldHaveFromThatState) {
  auto m = MustCompile(kAbc);
  ScriptedInvoker failing;
  failing.Answer("C", {AslError{"C.Failed", "no"}});
  Outcome old = RunFrom(m, Json{{"start", 0}}, failing);
  ASSERT_EQ(old.status, ExecutionStatus::kFailed);
  ScriptedInvoker working;
  working.Answer("C", {Json("ok")});
  Outcome whole = RunFrom(m, Json{{"start", 0}}, working);
  ASSERT_EQ(whole.status, ExecutionStatus::kSucceeded);

  for (std::string state : {"A", "B", "C"}) {
    SCOPED_TRACE(state);
    RestartPoint p = MustFind(*m, state, old.events);
    ASSERT_TRUE(p.entered);
    StartPoint start{state, p.variables};
    ScriptedInvoker invoker;
    invoker.Answer("C", {Json("ok")});
    Outcome restarted = RunFrom(m, p.input, invoker, &start);
    EXPECT_EQ(restarted.status, ExecutionStatus::kSucceeded);
    EXPECT_EQ(restarted.output, Json("ok"));
    ASSERT_EQ(invoker.requests.size(), 1u);
    EXPECT_EQ(invoker.requests[0].parameters,
              (Json{{"x", 2}, {"y", "bee"}, {"in", {{"a", 1}, {"fromB", {{"b", "bee"}}}}}}));
    // Everything after ExecutionStarted is what the whole run did from there.
    EXPECT_EQ(Tail(restarted.events, 1), Tail(whole.events, p.event_index));
  }
}

TEST(FindRestartPoint, AStateEnteredTwiceRestartsFromItsLastEntry) {
  auto m = MustCompile(R"json({"StartAt":"Init","States":{
      "Init":{"Type":"Pass","Assign":{"n":0},"Next":"Body"},
      "Body":{"Type":"Pass","Parameters":{"seen.$":"$n"},
              "Assign":{"n.$":"States.MathAdd($n, 1)"},"Next":"Check"},
      "Check":{"Type":"Choice","Choices":[{"Variable":"$n","NumericLessThan":3,
               "Assign":{"looped.$":"$n"},"Next":"Body"}],"Default":"Done"},
      "Done":{"Type":"Pass","End":true}}})json");
  ScriptedInvoker none;
  Outcome old = RunFrom(m, Json::object(), none);
  ASSERT_EQ(old.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(old.output, (Json{{"seen", 2}}));

  RestartPoint p = MustFind(*m, "Body", old.events);
  ASSERT_TRUE(p.entered);
  EXPECT_EQ(p.input, (Json{{"seen", 1}}));
  EXPECT_EQ(p.variables, (Json{{"n", 2}, {"looped", 2}}));
  size_t entries_before = 0;
  for (size_t i = 0; i < p.event_index; ++i) {
    entries_before += old.events[i].state == "Body" && old.events[i].type == "PassStateEntered";
  }
  EXPECT_EQ(entries_before, 2u);
  EXPECT_EQ(old.events[p.event_index].state, "Body");

  StartPoint start{"Body", p.variables};
  Outcome restarted = RunFrom(m, p.input, none, &start);
  EXPECT_EQ(restarted.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(restarted.output, old.output);
  EXPECT_EQ(Tail(restarted.events, 1), Tail(old.events, p.event_index));
}

TEST(FindRestartPoint, AStateNeverEnteredGivesTheVariablesTheHistoryEndsWith) {
  auto m = MustCompile(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"x":1},"Next":"Pick"},
      "Pick":{"Type":"Choice","Choices":[{"Variable":"$.go","BooleanEquals":true,"Next":"Never"}],
              "Default":"Last"},
      "Never":{"Type":"Pass","End":true},
      "Last":{"Type":"Pass","Assign":{"z":"last"},"End":true}}})");
  ScriptedInvoker none;
  Outcome old = RunFrom(m, Json{{"go", false}}, none);
  ASSERT_EQ(old.status, ExecutionStatus::kSucceeded);

  RestartPoint p = MustFind(*m, "Never", old.events);
  EXPECT_FALSE(p.entered);
  EXPECT_EQ(p.input, Json());
  EXPECT_EQ(p.variables, (Json{{"x", 1}, {"z", "last"}}));
  EXPECT_EQ(p.event_index, 0u);

  // A history that assigned nothing yet.
  const std::vector<HistoryEvent> started(old.events.begin(), old.events.begin() + 1);
  RestartPoint q = MustFind(*m, "Never", started);
  EXPECT_FALSE(q.entered);
  EXPECT_EQ(q.variables, Json());
}

TEST(FindRestartPoint, CountsTheAssignOfACatch) {
  auto m = MustCompile(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
           "Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"err.$":"$.Error"},"ResultPath":"$.e",
                     "Next":"H"}],"End":true},
      "H":{"Type":"Pass","Parameters":{"err.$":"$err"},"End":true}}})");
  ScriptedInvoker invoker;
  invoker.Answer("T", {AslError{"Boom", "bad"}});
  Outcome old = RunFrom(m, Json::object(), invoker);
  ASSERT_EQ(old.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(old.output, (Json{{"err", "Boom"}}));

  RestartPoint p = MustFind(*m, "H", old.events);
  ASSERT_TRUE(p.entered);
  EXPECT_EQ(p.input, (Json{{"e", {{"Error", "Boom"}, {"Cause", "bad"}}}}));
  EXPECT_EQ(p.variables, (Json{{"err", "Boom"}}));
  StartPoint start{"H", p.variables};
  Outcome restarted = RunFrom(m, p.input, invoker, &start);
  EXPECT_EQ(restarted.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(restarted.output, old.output);
}

TEST(FindRestartPoint, AssignmentsInsideBranchesAndIterationsDoNotCount) {
  auto m = MustCompile(R"({"StartAt":"P","States":{
      "P":{"Type":"Parallel","Assign":{"fromP.$":"$[0]"},"ResultPath":"$.p","Next":"M",
           "Branches":[{"StartAt":"Inner","States":{
             "Inner":{"Type":"Pass","Assign":{"inner":1},"Result":"i","End":true}}}]},
      "M":{"Type":"Map","ItemsPath":"$.items","Assign":{"fromM.$":"$[1]"},"ResultPath":"$.m",
           "Next":"After","ItemProcessor":{"StartAt":"Item","States":{
             "Item":{"Type":"Pass","Assign":{"item":2},"End":true}}}},
      "After":{"Type":"Pass","End":true}}})");
  ScriptedInvoker none;
  Outcome old = RunFrom(m, Json{{"items", Json::array({1, 2})}}, none);
  ASSERT_EQ(old.status, ExecutionStatus::kSucceeded);

  RestartPoint m_point = MustFind(*m, "M", old.events);
  EXPECT_EQ(m_point.variables, (Json{{"fromP", "i"}}));
  RestartPoint after = MustFind(*m, "After", old.events);
  EXPECT_EQ(after.variables, (Json{{"fromP", "i"}, {"fromM", 2}}));
  EXPECT_EQ(after.input, (Json{{"items", Json::array({1, 2})},
                               {"p", Json::array({"i"})},
                               {"m", Json::array({1, 2})}}));
}

TEST(FindRestartPoint, RefusesAStateThatIsNotTopLevel) {
  auto m = MustCompile(R"({"StartAt":"P","States":{
      "P":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"Inner","States":{"Inner":{"Type":"Pass","End":true}}}]}}})");
  ScriptedInvoker none;
  Outcome old = RunFrom(m, Json::object(), none);
  ASSERT_EQ(old.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(FindRestartPoint(*m, "Inner", Recorded(old.events)).status(),
            InvalidArgumentError(
                "State 'Inner' is not a top-level state: it runs inside the Parallel state 'P'"));
  EXPECT_EQ(FindRestartPoint(*m, "Nope", Recorded(old.events)).status(),
            InvalidArgumentError("The state machine has no state 'Nope'"));
}

TEST(FindRestartPoint, ARedriveContinuesTheFold) {
  auto m = MustCompile(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"x":1},"Next":"T"},
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"x.$":"$x"},
           "Assign":{"t.$":"$"},"Next":"Z"},
      "Z":{"Type":"Pass","End":true}}})");
  ScriptedInvoker invoker;
  invoker.Answer("T", {AslError{"T.Failed", "once"}, Json("ok")});
  FakeClock clock(TestStart());
  auto e = Execution::Start(m, TestInfo(), Json{{"k", 1}}, clock.Now());
  std::vector<HistoryEvent> events;
  RunExecution(*e, invoker, clock, &events);
  ASSERT_EQ(e->status(), ExecutionStatus::kFailed);
  ASSERT_TRUE(e->Redrive(clock.Now()).ok());
  RunExecution(*e, invoker, clock, &events);
  ASSERT_EQ(e->status(), ExecutionStatus::kSucceeded);

  size_t redriven = 0;
  while (events[redriven].type != "ExecutionRedriven") ++redriven;
  RestartPoint t = MustFind(*m, "T", events);
  ASSERT_TRUE(t.entered);
  EXPECT_EQ(t.event_index, redriven + 1);
  EXPECT_EQ(t.input, (Json{{"k", 1}}));
  EXPECT_EQ(t.variables, (Json{{"x", 1}}));
  RestartPoint z = MustFind(*m, "Z", events);
  EXPECT_EQ(z.variables, (Json{{"x", 1}, {"t", "ok"}}));
}

TEST(FindRestartPoint, ReportsDataLossForDetailsItCannotRead) {
  auto m = MustCompile(kAbc);
  auto find = [&](std::vector<RecordedEvent> events) {
    events.insert(events.begin(), RecordedEvent{"ExecutionStarted", R"({"input":"{}"})"});
    return FindRestartPoint(*m, "C", events).status();
  };
  EXPECT_EQ(find({{"PassStateExited", "{oops"}}),
            DataLossError("history event at index 1 (PassStateExited): its details are not JSON"));
  EXPECT_EQ(find({{"PassStateExited", R"({"output":"{}"})"}}),
            DataLossError(
                "history event at index 1 (PassStateExited): its details have no string 'name'"));
  EXPECT_EQ(find({{"PassStateExited", R"({"name":"A","assignedVariables":{"x":1}})"}}),
            DataLossError("history event at index 1 (PassStateExited): the value of variable 'x' "
                          "is not a string"));
  EXPECT_EQ(find({{"PassStateExited", R"({"name":"A","assignedVariables":{"x":"[1"}})"}}),
            DataLossError("history event at index 1 (PassStateExited): the value of variable 'x' "
                          "is not JSON text"));
  EXPECT_EQ(find({{"TaskStateEntered", R"({"name":"C","input":"{nope"})"}}),
            DataLossError("history event at index 1 (TaskStateEntered): its 'input' is not JSON "
                          "text"));
  EXPECT_EQ(find({{"TaskStateEntered", R"({"name":"C"})"}}),
            DataLossError("history event at index 1 (TaskStateEntered): its details have no "
                          "'input'"));
  EXPECT_EQ(find({{"TaskStateEntered", ""}}),
            DataLossError("history event at index 1 (TaskStateEntered): its details are not JSON"));
  // Events it needs not read are not read: an exit after the last entry.
  EXPECT_TRUE(
      find({{"TaskStateEntered", R"({"name":"C","input":"{}"})"}, {"TaskStateExited", "{oops"}})
          .ok());
}

}  // namespace
}  // namespace stepd::asl
