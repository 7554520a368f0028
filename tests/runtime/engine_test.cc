#include "stepd/runtime/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <future>
#include <set>

#include "runtime/runtime_testing.h"

namespace stepd::runtime {
namespace {

using testing::AuditRows;
using ::testing::ElementsAre;
using testing::ExecutionArn;
using ::testing::HasSubstr;
using testing::History;
using testing::TestEngine;
using testing::TestStore;
using testing::WaitForEnd;
using testing::WaitUntil;

constexpr char kTwoPasses[] = R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Result":{"a":1},"ResultPath":"$.a","Next":"B"},
    "B":{"Type":"Pass","End":true}}})";

constexpr char kWaitAnHour[] = R"({"StartAt":"W","States":{
    "W":{"Type":"Wait","Seconds":3600,"Next":"P"},"P":{"Type":"Pass","End":true}}})";

// Checks what "exactly once" means on disk: ids 1..N without gaps, one audit
// row per transition event, and an intact chain.
void ExpectExactlyOnce(store::Store& store, const std::string& arn) {
  std::vector<store::HistoryEventRecord> history = History(store, arn);
  std::set<int64_t> transitions;
  for (size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i].event_id, static_cast<int64_t>(i + 1)) << arn;
    const std::string& type = history[i].type;
    if (type == "ExecutionStarted" || type.ends_with("StateEntered") ||
        type == "ExecutionSucceeded" || type == "ExecutionFailed" || type == "ExecutionAborted" ||
        type == "ExecutionTimedOut" || type == "ExecutionRedriven") {
      transitions.insert(history[i].event_id);
    }
  }
  std::set<int64_t> audited;
  for (const store::AuditRecord& row : AuditRows(store)) {
    if (row.entry.target != arn) continue;
    EXPECT_TRUE(audited.insert(row.entry.event_id).second)
        << "audited twice: " << row.entry.event_id;
  }
  EXPECT_EQ(audited, transitions) << arn;
  EXPECT_EQ(store.VerifyAuditChain(), Status::OK());
}

TEST(Engine, RunsAnExecutionToItsEndWithHistoryAndAuditWrittenOnce) {
  TestStore store;
  store.CreateMachine("m", kTwoPasses);
  TestEngine t(store.get());
  auto started = t.Start("m", "e1", R"({"x":1})");
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->execution_arn, ExecutionArn("m", "e1"));
  EXPECT_FALSE(started->existing);
  store::ExecutionRecord done = WaitForEnd(*store, started->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(Json::parse(*done.output), Json::parse(R"({"x":1,"a":{"a":1}})"));
  EXPECT_EQ(done.started_by, "tester");
  EXPECT_EQ(done.wake_at_ms, std::nullopt);
  std::vector<std::string> types;
  for (const auto& e : History(*store, done.arn)) types.push_back(e.type);
  EXPECT_THAT(types, ElementsAre("ExecutionStarted", "PassStateEntered", "PassStateExited",
                                 "PassStateEntered", "PassStateExited", "ExecutionSucceeded"));
  ExpectExactlyOnce(*store, done.arn);
  std::vector<store::AuditRecord> rows = AuditRows(*store);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].entry.action, "ExecutionStarted");
  EXPECT_EQ(rows[0].entry.actor, "tester");
  EXPECT_EQ(Json::parse(rows[0].entry.details_json), Json::parse(R"({"from":"","to":"A"})"));
  EXPECT_EQ(Json::parse(rows[2].entry.details_json), Json::parse(R"({"from":"A","to":"B"})"));
  EXPECT_EQ(rows[3].entry.action, "ExecutionSucceeded");
}

TEST(Engine, StartByNameIsIdempotentForTheSameInputWhileRunning) {
  TestStore store;
  store.CreateMachine("m", kWaitAnHour);
  TestEngine t(store.get());
  auto first = t.Start("m", "same", R"({"k":1})");
  ASSERT_TRUE(first.ok());
  auto again = t.Start("m", "same", R"({ "k" : 1 })");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->existing);
  EXPECT_EQ(again->execution_arn, first->execution_arn);
  EXPECT_EQ(again->start_time_ms, first->start_time_ms);
  EXPECT_EQ(t.Start("m", "same", R"({"k":2})").status(),
            AlreadyExistsError("Execution Already Exists: '" + first->execution_arn + "'"));
  // Once it finished, the name is taken for good.
  t.clock.Advance(std::chrono::hours(2));
  ASSERT_EQ(WaitForEnd(*store, first->execution_arn).status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(t.Start("m", "same", R"({"k":1})").status().code(), StatusCode::kAlreadyExists);
}

TEST(Engine, RefusesBadStartsClearly) {
  TestStore store;
  store.CreateMachine("m", kTwoPasses);
  RuntimeOptions options;
  options.max_payload_bytes = 64;
  TestEngine t(store.get(), options);
  EXPECT_EQ(t.Start("nope", "e").status().code(), StatusCode::kNotFound);
  auto not_json = t.Start("m", "e", "{not json");
  EXPECT_EQ(not_json.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(not_json.status().message(), HasSubstr("Invalid State Machine Execution Input"));
  auto too_big = t.Start("m", "e", R"({"x":")" + std::string(100, 'a') + R"("})");
  EXPECT_EQ(too_big.status().code(), StatusCode::kInvalidArgument);
  // Nothing was stored for the refused starts, and a good one still works.
  EXPECT_EQ(store->GetExecution(ExecutionArn("m", "e")).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(t.Start("m", "e").ok());
}

TEST(Engine, AParkedExecutionLeavesMemoryKeepsADurableTimerAndResumesWhenDue) {
  TestStore store;
  store.CreateMachine("m", kWaitAnHour);
  TestEngine t(store.get());
  auto started = t.Start("m", "w");
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(WaitUntil([&] {
    auto r = store->GetExecution(started->execution_arn);
    return r.ok() && r->wake_at_ms.has_value();
  }));
  EXPECT_EQ(*store->GetExecution(started->execution_arn)->wake_at_ms,
            started->start_time_ms + 3600 * 1000);
  ASSERT_TRUE(WaitUntil([&] { return t.engine->Stats().in_memory == 0; }));
  EXPECT_EQ(t.engine->Stats().timers, 1u);
  t.clock.Advance(std::chrono::minutes(59));
  EXPECT_EQ(store->GetExecution(started->execution_arn)->status, store::ExecutionStatus::kRunning);
  t.clock.Advance(std::chrono::minutes(1));
  EXPECT_EQ(WaitForEnd(*store, started->execution_arn).status, store::ExecutionStatus::kSucceeded);
  ExpectExactlyOnce(*store, started->execution_arn);
}

TEST(Engine, ARestartResumesParkedExecutionsFromTheirLastDurableStep) {
  TestStore store;
  store.CreateMachine("m", kWaitAnHour);
  std::string arn;
  {
    TestEngine t(store.get());
    auto started = t.Start("m", "w");
    ASSERT_TRUE(started.ok());
    arn = started->execution_arn;
    ASSERT_TRUE(WaitUntil([&] { return store->GetExecution(arn)->wake_at_ms.has_value(); }));
  }
  store.Reopen();
  TestEngine again(store.get());
  EXPECT_EQ(again.engine->Stats().timers, 1u);
  again.clock.Advance(std::chrono::hours(1));
  EXPECT_EQ(WaitForEnd(*store, arn).status, store::ExecutionStatus::kSucceeded);
  ExpectExactlyOnce(*store, arn);
}

// A then a Wait, then P, which shows the variable v.
constexpr char kAssignWaitShow[] = R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"v":1},"Next":"W"},
    "W":{"Type":"Wait","Seconds":3600,"Next":"P"},
    "P":{"Type":"Pass","Parameters":{"v.$":"$v","x.$":"$.x"},"End":true}}})";

TEST(Engine, ARestartBeginsAtItsStateWithItsVariablesAndResumesThereAfterACrash) {
  TestStore store;
  store.CreateMachine("m", kAssignWaitShow);
  std::string arn;
  {
    TestEngine t(store.get());
    StartRequest request;
    request.input = R"({"x":"given"})";
    request.start_state = "W";
    request.start_variables_json = R"({"v":7})";
    request.restarted_from = ExecutionArn("m", "old");
    auto started = t.Start("m", "again", std::move(request));
    ASSERT_TRUE(started.ok()) << started.status();
    arn = started->execution_arn;
    ASSERT_TRUE(WaitUntil([&] { return store->GetExecution(arn)->wake_at_ms.has_value(); }));
  }
  store.Reopen();
  TestEngine again(store.get());
  again.clock.Advance(std::chrono::hours(1));
  store::ExecutionRecord ended = WaitForEnd(*store, arn);
  EXPECT_EQ(ended.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(ended.output, R"({"v":7,"x":"given"})");
  EXPECT_EQ(ended.restarted_from, ExecutionArn("m", "old"));
  std::vector<std::string> entered;
  for (const store::HistoryEventRecord& e : History(*store, arn)) {
    if (e.type.ends_with("StateEntered")) entered.push_back(e.type);
  }
  EXPECT_EQ(entered, (std::vector<std::string>{"WaitStateEntered", "PassStateEntered"}));
  ExpectExactlyOnce(*store, arn);
}

TEST(Engine, ARestartAtAStateThatIsNotThereIsRefusedAndLeavesTheNameFree) {
  TestStore store;
  store.CreateMachine("m", kAssignWaitShow);
  TestEngine t(store.get());
  StartRequest request;
  request.start_state = "Nowhere";
  auto refused = t.Start("m", "n", std::move(request));
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("'Nowhere'"));
  StartRequest bad_variables;
  bad_variables.start_state = "W";
  bad_variables.start_variables_json = "[1]";
  EXPECT_EQ(t.Start("m", "n", std::move(bad_variables)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store->GetExecution(ExecutionArn("m", "n")).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(t.Start("m", "n").ok());
}

constexpr char kTask[] = R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f",
         "TimeoutSeconds":30,"HeartbeatSeconds":10,
         "Catch":[{"ErrorEquals":["States.Timeout","States.HeartbeatTimeout"],"Next":"Caught"}],
         "End":true},
    "Caught":{"Type":"Pass","End":true}}})";

TEST(Engine, ATaskIsDispatchedOnceDurableWithAStableIdempotencyToken) {
  TestStore store;
  store.CreateMachine("m", kTask);
  TestEngine t(store.get());
  auto started = t.Start("m", "t", R"({"v":7})");
  ASSERT_TRUE(started.ok());
  std::vector<TaskCall> calls = t.executor.WaitForCalls(1);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].execution_arn, started->execution_arn);
  EXPECT_EQ(calls[0].request.parameters, Json::parse(R"({"v":7})"));
  EXPECT_EQ(calls[0].idempotency_token, TaskIdempotencyToken(started->execution_arn, 1));
  // The TaskScheduled event is durable before the call went out.
  std::vector<std::string> types;
  for (const auto& e : History(*store, started->execution_arn)) types.push_back(e.type);
  EXPECT_THAT(types, ::testing::Contains("LambdaFunctionScheduled"));
  t.executor.Answer(0, Json::parse(R"({"ok":true})"));
  store::ExecutionRecord done = WaitForEnd(*store, started->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(Json::parse(*done.output), Json::parse(R"({"ok":true})"));
  ExpectExactlyOnce(*store, done.arn);
}

TEST(Engine, AnInterruptedTaskIsInvokedAgainAfterARestartWithTheSameToken) {
  TestStore store;
  store.CreateMachine("m", kTask);
  std::string arn, token;
  {
    TestEngine t(store.get());
    auto started = t.Start("m", "t");
    ASSERT_TRUE(started.ok());
    arn = started->execution_arn;
    token = t.executor.WaitForCalls(1)[0].idempotency_token;
  }
  store.Reopen();
  TestEngine again(store.get());
  std::vector<TaskCall> calls = again.executor.WaitForCalls(1);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].idempotency_token, token);
  again.executor.Answer(0, Json(1));
  EXPECT_EQ(WaitForEnd(*store, arn).status, store::ExecutionStatus::kSucceeded);
  ExpectExactlyOnce(*store, arn);
}

TEST(Engine, AStartAnsweredAtOnceLetsItsCallbackCallTheEngine) {
  TestStore store;
  store.CreateMachine("m", kTask);
  TestEngine t(store.get());
  ASSERT_TRUE(t.Start("m", "t", R"({"k":1})").ok());
  t.executor.WaitForCalls(1);  // in memory while its task is out
  // The repeat is answered from memory, at once, on this thread; its
  // callback waits for the execution as a nested execution's task does.
  StartRequest request;
  request.state_machine_arn = testing::MachineArn("m");
  request.name = "t";
  request.input = R"({"k":1})";
  std::promise<void> finished;
  auto repeat = std::async(std::launch::async, [&] {
    t.engine->StartExecution(request, [&](StatusOr<StartResult> r) {
      EXPECT_TRUE(r.ok() && r->existing) << r.status();
      t.engine->WhenFinished(ExecutionArn("m", "t"), [&](Status) { finished.set_value(); });
    });
  });
  if (repeat.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "StartExecution called back under its own lock: deadlock";
    std::_Exit(1);  // the engine's lock is held for good: nothing can end cleanly
  }
  t.executor.Answer(0, Json(1));
  EXPECT_EQ(finished.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
}

TEST(Engine, ARepeatedStartOfAnExecutionParkedOutOfMemoryLeavesItsTimerToIt) {
  TestStore store;
  store.CreateMachine("m", kWaitAnHour);
  std::string arn;
  {
    TestEngine t(store.get());
    auto started = t.Start("m", "w", R"({"k":1})");
    ASSERT_TRUE(started.ok());
    arn = started->execution_arn;
    ASSERT_TRUE(WaitUntil([&] { return store->GetExecution(arn)->wake_at_ms.has_value(); }));
  }
  store.Reopen();
  // Recovered: parked with a timer, not in memory. The same start again,
  // and the timer is due before the start's commit is written.
  TestEngine again(store.get(), {}, /*start=*/false);
  ASSERT_EQ(again.engine->Stats().in_memory, 0u);
  std::promise<StatusOr<StartResult>> answer;
  StartRequest request;
  request.state_machine_arn = testing::MachineArn("m");
  request.name = "w";
  request.input = R"({"k":1})";
  again.engine->StartExecution(request, [&](StatusOr<StartResult> r) { answer.set_value(r); });
  again.clock.Advance(std::chrono::hours(1));
  again.engine->Start();
  auto future = answer.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  // The execution itself, or taken for good if it ended meanwhile.
  StatusOr<StartResult> repeated = future.get();
  if (repeated.ok()) {
    EXPECT_TRUE(repeated->existing);
    EXPECT_EQ(repeated->execution_arn, arn);
  } else {
    EXPECT_EQ(repeated.status(), AlreadyExistsError("Execution Already Exists: '" + arn + "'"));
  }
  // The timer woke the execution itself (it used to wake the refused
  // start's slot, and the execution waited until the next restart).
  EXPECT_EQ(WaitForEnd(*store, arn).status, store::ExecutionStatus::kSucceeded);
  ExpectExactlyOnce(*store, arn);
}

TEST(Engine, TaskTimeoutAndHeartbeatTimeoutFlowToCatch) {
  TestStore store;
  store.CreateMachine("m", kTask);
  TestEngine t(store.get());
  auto started = t.Start("m", "t");
  ASSERT_TRUE(started.ok());
  t.executor.WaitForCalls(1);
  t.clock.Advance(std::chrono::seconds(11));  // the heartbeat (10 s) comes first
  store::ExecutionRecord done = WaitForEnd(*store, started->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  // A missed heartbeat is States.Timeout, as on AWS (the Catch names both).
  EXPECT_EQ(Json::parse(*done.output)["Error"], "States.Timeout");
  // Cancelled once the end is durable: the store may show the end first.
  EXPECT_TRUE(WaitUntil([&] { return t.executor.cancelled() == 1u; }));
  std::vector<std::string> types;
  for (const auto& e : History(*store, done.arn)) types.push_back(e.type);
  EXPECT_THAT(types, ::testing::Contains("LambdaFunctionTimedOut"));
}

TEST(Engine, ExecutionTimeoutSecondsEndsItTimedOut) {
  TestStore store;
  store.CreateMachine("m", R"({"TimeoutSeconds":60,"StartAt":"W","States":{
      "W":{"Type":"Wait","Seconds":3600,"End":true}}})");
  TestEngine t(store.get());
  auto started = t.Start("m", "t");
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(WaitUntil(
      [&] { return store->GetExecution(started->execution_arn)->wake_at_ms.has_value(); }));
  EXPECT_EQ(*store->GetExecution(started->execution_arn)->wake_at_ms,
            started->start_time_ms + 60 * 1000);
  t.clock.Advance(std::chrono::seconds(61));
  store::ExecutionRecord done = WaitForEnd(*store, started->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kTimedOut);
  EXPECT_EQ(done.error, "States.Timeout");
  ExpectExactlyOnce(*store, done.arn);
}

TEST(Engine, StopAbortsARunningExecutionAndCancelsItsTasks) {
  TestStore store;
  store.CreateMachine("m", kTask);
  TestEngine t(store.get());
  auto started = t.Start("m", "t");
  ASSERT_TRUE(started.ok());
  t.executor.WaitForCalls(1);
  auto stopped = t.Stop(started->execution_arn, "Oops", "operator stopped it");
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  store::ExecutionRecord done = *store->GetExecution(started->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kAborted);
  EXPECT_EQ(done.error, "Oops");
  EXPECT_EQ(done.stop_time_ms, stopped->stop_time_ms);
  EXPECT_EQ(t.executor.cancelled(), 1u);
  std::vector<store::AuditRecord> rows = AuditRows(*store);
  EXPECT_EQ(rows.back().entry.action, "ExecutionAborted");
  EXPECT_EQ(rows.back().entry.actor, "operator");
  // A late answer to the cancelled task changes nothing.
  t.executor.Answer(0, Json(1));
  EXPECT_EQ(t.Stop(started->execution_arn).status().code(), StatusCode::kFailedPrecondition);
  ExpectExactlyOnce(*store, done.arn);
}

TEST(Engine, StopReachesAnExecutionThatLeftMemory) {
  TestStore store;
  store.CreateMachine("m", kWaitAnHour);
  TestEngine t(store.get());
  auto started = t.Start("m", "w");
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(WaitUntil([&] { return t.engine->Stats().in_memory == 0; }));
  ASSERT_TRUE(t.Stop(started->execution_arn).ok());
  EXPECT_EQ(store->GetExecution(started->execution_arn)->status, store::ExecutionStatus::kAborted);
  EXPECT_EQ(store->GetExecution(started->execution_arn)->wake_at_ms, std::nullopt);
  EXPECT_EQ(t.Stop(ExecutionArn("m", "nope")).status().code(), StatusCode::kNotFound);
}

TEST(Engine, AFullReadyQueueRefusesStartsInsteadOfGrowing) {
  TestStore store;
  store.CreateMachine("m", kTwoPasses);
  RuntimeOptions options;
  options.ready_queue_capacity = 1;
  TestEngine t(store.get(), options, /*start=*/false);
  std::atomic<bool> first_answered{false};
  StartRequest request;
  request.state_machine_arn = testing::MachineArn("m");
  request.name = "a";
  t.engine->StartExecution(request, [&](StatusOr<StartResult> r) {
    EXPECT_TRUE(r.ok()) << r.status();
    first_answered = true;
  });
  std::optional<StatusOr<StartResult>> second;
  request.name = "b";
  t.engine->StartExecution(request, [&](StatusOr<StartResult> r) { second = std::move(r); });
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status().code(), StatusCode::kResourceExhausted);
  t.engine->Start();
  EXPECT_EQ(WaitForEnd(*store, ExecutionArn("m", "a")).status, store::ExecutionStatus::kSucceeded);
  EXPECT_TRUE(WaitUntil([&] { return first_answered.load(); }));
}

TEST(Engine, ALoopingExecutionDoesNotStarveOthers) {
  TestStore store;
  store.CreateMachine("loop", R"({"StartAt":"L","States":{"L":{"Type":"Pass","Next":"L"}}})");
  store.CreateMachine("m", kTwoPasses);
  RuntimeOptions options;
  options.workers = 1;
  options.history_limit = 0;
  options.slice_max_steps = 100;
  TestEngine t(store.get(), options);
  auto loop = t.Start("loop", "forever");
  ASSERT_TRUE(loop.ok());
  for (int i = 0; i < 5; ++i) {
    auto quick = t.Start("m", "quick-" + std::to_string(i));
    ASSERT_TRUE(quick.ok());
    EXPECT_EQ(WaitForEnd(*store, quick->execution_arn).status, store::ExecutionStatus::kSucceeded);
  }
  EXPECT_EQ(store->GetExecution(loop->execution_arn)->status, store::ExecutionStatus::kRunning);
  ASSERT_TRUE(t.Stop(loop->execution_arn).ok());
  ExpectExactlyOnce(*store, loop->execution_arn);
}

TEST(Engine, TheHistoryLimitFailsTheExecutionAsAwsDoes) {
  TestStore store;
  store.CreateMachine("loop", R"({"StartAt":"L","States":{"L":{"Type":"Pass","Next":"L"}}})");
  RuntimeOptions options;
  options.history_limit = 100;
  TestEngine t(store.get(), options);
  auto loop = t.Start("loop", "capped");
  ASSERT_TRUE(loop.ok());
  store::ExecutionRecord done = WaitForEnd(*store, loop->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kFailed);
  EXPECT_EQ(done.error, "States.Runtime");
  EXPECT_EQ(done.cause, "The execution reached the maximum number of history events (100).");
  ExpectExactlyOnce(*store, done.arn);
}

TEST(Engine, DistributedMapChildExecutionsArePersistedUnderTheirMapRun) {
  TestStore store;
  store.CreateMachine("m", R"({"StartAt":"M","States":{"M":{"Type":"Map","Label":"Items",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})");
  TestEngine t(store.get());
  auto started = t.Start("m", "dm", "[1,2,3]");
  ASSERT_TRUE(started.ok());
  store::ExecutionRecord done = WaitForEnd(*store, started->execution_arn);
  ASSERT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  std::string run;
  for (const auto& e : History(*store, done.arn)) {
    if (e.type == "MapRunStarted") run = Json::parse(e.details_json)["mapRunArn"];
  }
  ASSERT_FALSE(run.empty());
  store::ExecutionFilter filter;
  filter.map_run_arn = run;
  auto children = store->ListExecutions(filter, {}).value().items;
  ASSERT_EQ(children.size(), 3u);
  for (const store::ExecutionRecord& c : children) {
    EXPECT_EQ(c.status, store::ExecutionStatus::kSucceeded);
    EXPECT_EQ(c.parent_arn, done.arn);
    EXPECT_EQ(Json::parse(*c.output), Json::parse(c.input));
    ExpectExactlyOnce(*store, c.arn);
  }
  ExpectExactlyOnce(*store, done.arn);
}

// Redrives `arn` and waits until the redrive is durable.
StatusOr<RedriveResult> Redrive(TestEngine& t, const std::string& arn) {
  std::promise<StatusOr<RedriveResult>> answer;
  t.engine->RedriveExecution({arn, "operator", ""},
                             [&](StatusOr<RedriveResult> r) { answer.set_value(std::move(r)); });
  return answer.get_future().get();
}

TEST(Engine, ARedriveAfterARestartRunsTheFailedTaskAgainAndNothingBefore) {
  TestStore store;
  store.CreateMachine("m", R"({"StartAt":"P","States":{
      "P":{"Type":"Pass","Result":1,"ResultPath":"$.p","Next":"T"},
      "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}})");
  std::string arn;
  {
    TestEngine t(store.get());
    t.executor.AnswerAll(asl::AslError{"Upstream.Down", "503"});
    auto started = t.Start("m", "r", R"({"k":"v"})");
    ASSERT_TRUE(started.ok());
    arn = started->execution_arn;
    ASSERT_EQ(WaitForEnd(*store, arn).status, store::ExecutionStatus::kFailed);
  }
  store.Reopen();
  TestEngine t(store.get());
  t.executor.AnswerAll(Json("done"));
  auto redriven = Redrive(t, arn);
  ASSERT_TRUE(redriven.ok()) << redriven.status();
  store::ExecutionRecord done = WaitForEnd(*store, arn);
  ASSERT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(done.redrive_count, 1);
  EXPECT_EQ(done.redrive_time_ms, redriven->redrive_time_ms);
  EXPECT_EQ(done.error, std::nullopt);
  std::vector<TaskCall> calls = t.executor.WaitForCalls(1);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].request.parameters, Json::parse(R"({"k":"v","p":1})"));
  std::vector<std::string> types;
  for (const auto& e : History(*store, arn)) types.push_back(e.type);
  EXPECT_EQ(std::count(types.begin(), types.end(), "PassStateEntered"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "TaskStateEntered"), 2);
  EXPECT_EQ(std::count(types.begin(), types.end(), "ExecutionRedriven"), 1);
  ExpectExactlyOnce(*store, arn);
  // Once succeeded, no more redrives.
  EXPECT_EQ(Redrive(t, arn).status().code(), StatusCode::kFailedPrecondition);
}

TEST(Engine, ARedriveReopensTheFailedChildExecutionsOfADistributedMap) {
  TestStore store;
  store.CreateMachine("m", R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
        "StartAt":"T","States":{"T":{"Type":"Task",
          "Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}},
      "End":true}}})");
  TestEngine t(store.get());
  t.executor.AnswerAll(asl::AslError{"FirstTime", "down"});
  auto started = t.Start("m", "dm", "[1,2]");
  ASSERT_TRUE(started.ok());
  const std::string arn = started->execution_arn;
  ASSERT_EQ(WaitForEnd(*store, arn).status, store::ExecutionStatus::kFailed);
  std::string run;
  for (const auto& e : History(*store, arn)) {
    if (e.type == "MapRunStarted") run = Json::parse(e.details_json)["mapRunArn"];
  }
  ASSERT_FALSE(run.empty());
  EXPECT_EQ(store->GetMapRun(run)->status, store::MapRunStatus::kFailed);

  t.executor.AnswerAll(Json("ok"));
  ASSERT_TRUE(Redrive(t, arn).ok());
  store::ExecutionRecord after = WaitForEnd(*store, arn);
  ASSERT_EQ(after.status, store::ExecutionStatus::kSucceeded)
      << after.error.value_or("") << " " << after.cause.value_or("");
  store::MapRunRecord redriven_run = store->GetMapRun(run).value();
  EXPECT_EQ(redriven_run.status, store::MapRunStatus::kSucceeded);
  EXPECT_EQ(redriven_run.redrive_count, 1);
  store::ExecutionFilter filter;
  filter.map_run_arn = run;
  auto children = store->ListExecutions(filter, {}).value().items;
  ASSERT_EQ(children.size(), 2u);
  int redriven_children = 0;
  for (const store::ExecutionRecord& c : children) {
    EXPECT_EQ(c.status, store::ExecutionStatus::kSucceeded) << c.arn;
    EXPECT_EQ(c.stop_time_ms.has_value(), true);
    EXPECT_EQ(c.error, std::nullopt);
    redriven_children += c.redrive_count;
    ExpectExactlyOnce(*store, c.arn);
  }
  // Both first runs failed (or the second was aborted by the first's
  // failure): each child was redriven once.
  EXPECT_EQ(redriven_children, 2);
  ExpectExactlyOnce(*store, arn);
}

RuntimeOptions QuickRetries() {
  RuntimeOptions options;
  options.commit_retries = 2;
  options.commit_retry_backoff = std::chrono::milliseconds(1);
  return options;
}

TEST(EngineFaults, AStartThatCannotBeMadeDurableIsRefusedAndLeavesNothing) {
  TestStore store;
  store.CreateMachine("m", kTwoPasses);
  testing::FaultyStore faulty(store.get());
  faulty.fail_commits = 1000;
  TestEngine t(&faulty, QuickRetries());
  auto refused = t.Start("m", "e");
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(refused.status().message(), HasSubstr("database or disk is full"));
  EXPECT_EQ(faulty.failed, 3);  // the first try and two retries
  EXPECT_THAT(t.Log(), HasSubstr("commit of 1 executions failed, giving up"));
  EXPECT_EQ(store->GetExecution(ExecutionArn("m", "e")).status().code(), StatusCode::kNotFound);
  // The disk has room again: the same start goes through.
  faulty.fail_commits = 0;
  auto started = t.Start("m", "e");
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(WaitForEnd(*store, started->execution_arn).status, store::ExecutionStatus::kSucceeded);
  ExpectExactlyOnce(*store, started->execution_arn);
}

TEST(EngineFaults, ABusyDatabaseIsRetriedWithoutTheCallerNoticing) {
  TestStore store;
  store.CreateMachine("m", kTwoPasses);
  testing::FaultyStore faulty(store.get());
  faulty.fault = UnavailableError("CommitTransition: database is locked (sqlite SQLITE_BUSY)");
  faulty.fail_commits = 2;
  TestEngine t(&faulty, QuickRetries());
  auto started = t.Start("m", "e");
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(WaitForEnd(*store, started->execution_arn).status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(faulty.failed, 2);
  ExpectExactlyOnce(*store, started->execution_arn);
}

TEST(EngineFaults, AStepThatCannotBeMadeDurableIsRedoneFromTheLastDurableStep) {
  TestStore store;
  store.CreateMachine("m", R"json({"StartAt":"A","States":{
      "A":{"Type":"Pass","Next":"W"},
      "W":{"Type":"Wait","Seconds":10,"Next":"B"},
      "B":{"Type":"Pass","Parameters":{"id.$":"States.UUID()"},"End":true}}})json");
  testing::FaultyStore faulty(store.get());
  TestEngine t(&faulty, QuickRetries());
  auto started = t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  const std::string arn = started->execution_arn;
  ASSERT_TRUE(WaitUntil([&] { return store->GetExecution(arn)->wake_at_ms.has_value(); }));
  const int64_t durable_events = store->GetExecution(arn)->last_event_id;
  faulty.fail_commits = 1000;
  t.clock.Advance(std::chrono::seconds(10));  // B runs, but its commit fails
  ASSERT_TRUE(WaitUntil([&] { return faulty.failed >= 3; }));
  EXPECT_EQ(store->GetExecution(arn)->status, store::ExecutionStatus::kRunning);
  EXPECT_EQ(store->GetExecution(arn)->last_event_id, durable_events);
  // Room again: a second later the execution is read back and B runs again.
  faulty.fail_commits = 0;
  t.clock.Advance(std::chrono::seconds(2));
  store::ExecutionRecord done = WaitForEnd(*store, arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  ExpectExactlyOnce(*store, arn);
  // Meanwhile the engine kept serving.
  auto other = t.Start("m", "other");
  ASSERT_TRUE(other.ok());
}
}  // namespace
}  // namespace stepd::runtime
