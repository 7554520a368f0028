#include "stepd/runtime/cluster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "runtime/runtime_testing.h"
#include "stepd/runtime/activities.h"
#include "stepd/runtime/engine.h"

// Two stepd nodes are two engines, each with its own store object opened
// on one SQLite file with its own StoreOptions::node_id: ownership is
// checked as with PostgreSQL (one implementation), and writes serialise.
// On SQLite a store object keeps the audit chain's head between its writes
// (with PostgreSQL it reads it again in each): here a node's audited commit
// never follows another node's on the same file.

namespace stepd::runtime {
namespace {

using ::testing::ElementsAre;
using testing::ExecutionArn;
using testing::History;
using testing::TestEngine;
using testing::TestStore;
using testing::WaitForEnd;
using testing::WaitUntil;

constexpr char kActivityArn[] = "arn:aws:states:us-east-1:123456789012:activity:review";

constexpr char kTaskThenPass[] = R"({"StartAt":"Work","States":{
    "Work":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:work",
            "Next":"Done"},
    "Done":{"Type":"Pass","End":true}}})";

constexpr char kReview[] = R"({"StartAt":"Review","States":{"Review":{"Type":"Task",
    "Resource":"arn:aws:states:us-east-1:123456789012:activity:review","HeartbeatSeconds":10,
    "End":true}}})";

int64_t Ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Fast enough for a test: heartbeats, claims and polls every 20 ms of real
// time; leases measured on the node's FakeClock.
ClusterOptions Fast(const std::string& id) {
  ClusterOptions o;
  o.node_id = id;
  o.address = id + ".test:8080";
  o.heartbeat_interval_ms = 20;
  o.lease_ms = 5000;
  o.claim_interval_ms = 20;
  o.poll_interval_ms = 20;
  o.idle_check_interval_ms = 50;
  return o;
}

// One node: its own store on the shared file, engine, activity queue and
// (once Join() is called) cluster membership.
struct Node {
  Node(TestStore& db, const ClusterOptions& cluster)
      : options(cluster),
        store(db.OpenNode(cluster.node_id)),
        t(store.get(), Runtime(cluster), /*start=*/false),
        queue(store.get(), &t.clock, testing::CapturingLogger(t.log), cluster) {
    t.router.Register("arn:aws:states:us-east-1:123456789012:activity:", &queue);
    t.router.SetTokenKeeper(&queue);
    queue.SetEngine(t.engine.get());
    t.engine->Start();
  }
  ~Node() { Crash(); }

  static RuntimeOptions Runtime(const ClusterOptions& cluster) {
    RuntimeOptions o;
    o.workers = 2;
    o.cluster = cluster;
    return o;
  }

  Status Join() {
    member = std::make_unique<ClusterMember>(options, store.get(), &t.clock, t.engine.get(),
                                             testing::CapturingLogger(t.log));
    return member->Start();
  }
  // As the server stops: polls answered, engine drained, then the last
  // heartbeat (expiring now).
  void Leave() {
    queue.Stop();
    t.engine->Stop();
    if (member) member->Stop();
  }
  // Stops working without the last heartbeat: to the others it stays alive
  // until its lease ends.
  void Crash() {
    queue.Stop();
    t.engine->Stop();
  }

  StatusOr<std::optional<ActivityQueue::Handout>> Poll(std::chrono::milliseconds wait) {
    std::promise<StatusOr<std::optional<ActivityQueue::Handout>>> answered;
    auto future = answered.get_future();
    queue.Poll(kActivityArn, "worker-1", wait,
               [&](StatusOr<std::optional<ActivityQueue::Handout>> r) {
                 answered.set_value(std::move(r));
               });
    if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      return DeadlineExceededError("poll did not answer");
    }
    return future.get();
  }

  std::string Owner(const std::string& arn) { return store->GetExecutionOwner(arn).value_or("?"); }

  ClusterOptions options;
  std::unique_ptr<store::Store> store;
  TestEngine t;
  ActivityQueue queue;
  std::unique_ptr<ClusterMember> member;
};

std::vector<std::string> Types(store::Store& store, const std::string& arn) {
  std::vector<std::string> types;
  for (const auto& e : History(store, arn)) types.push_back(e.type);
  return types;
}

// Ids 1..N, each once, each event's previous one before it.
void ExpectWellFormedHistory(store::Store& store, const std::string& arn) {
  std::vector<store::HistoryEventRecord> events = History(store, arn);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].event_id, static_cast<int64_t>(i + 1)) << arn;
    EXPECT_LT(events[i].previous_event_id, events[i].event_id) << arn;
  }
}

const std::vector<std::string> kTaskThenPassHistory = {
    "ExecutionStarted",      "TaskStateEntered",        "LambdaFunctionScheduled",
    "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
    "PassStateEntered",      "PassStateExited",         "ExecutionSucceeded"};

TEST(ClusterMember, ANodeAdoptsTheExecutionsOfADeadNodeAndFinishesThem) {
  TestStore db;
  db.CreateMachine("m", kTaskThenPass);
  std::vector<std::string> arns;
  {
    Node a(db, Fast("a"));
    // Alive (to the others) until 5 s from now.
    const int64_t now = Ms(a.t.clock.Now());
    ASSERT_EQ(a.store->HeartbeatNode({"a", "", now, now, now + 5000}), Status::OK());
    for (int i = 0; i < 5; ++i) {
      auto started = a.t.Start("m", "e" + std::to_string(i));
      ASSERT_TRUE(started.ok()) << started.status();
      arns.push_back(started->execution_arn);
    }
    ASSERT_EQ(a.t.executor.WaitForCalls(5).size(), 5u);  // dispatched, so scheduled durably
    a.Crash();
  }
  ClusterOptions fast = Fast("b");
  fast.claim_batch = 2;  // a dead node's executions come batch by batch
  Node b(db, fast);
  b.t.executor.AnswerAll(Json{{"done", true}});
  ASSERT_EQ(b.Join(), Status::OK());
  // "a" is alive: nothing of it is taken.
  for (const std::string& arn : arns) EXPECT_EQ(b.Owner(arn), "a");
  EXPECT_EQ(b.t.engine->Stats().in_memory, 0u);

  b.t.clock.Advance(std::chrono::seconds(6));  // a's lease ends
  for (const std::string& arn : arns) {
    store::ExecutionRecord done = WaitForEnd(*db, arn);
    EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded) << arn;
    EXPECT_EQ(b.Owner(arn), "b");
    ExpectWellFormedHistory(*db, arn);
    EXPECT_EQ(Types(*db, arn), kTaskThenPassHistory);
  }
  EXPECT_EQ(b.t.executor.WaitForCalls(5).size(), 5u);
  EXPECT_EQ(b.t.Log(), "");
}

TEST(ClusterMember, ANodeRestartingUnderItsIdTakesItsExecutionsBackAtOnce) {
  TestStore db;
  db.CreateMachine("m", kTaskThenPass);
  std::string arn;
  {
    Node a(db, Fast("a"));
    ASSERT_EQ(a.Join(), Status::OK());
    auto started = a.t.Start("m", "e");
    ASSERT_TRUE(started.ok());
    arn = started->execution_arn;
    ASSERT_EQ(a.t.executor.WaitForCalls(1).size(), 1u);
    a.Crash();  // its lease runs on
  }
  Node again(db, Fast("a"));
  again.t.executor.AnswerAll(Json{{"done", true}});
  ASSERT_EQ(again.Join(), Status::OK());
  EXPECT_EQ(WaitForEnd(*db, arn).status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(Types(*db, arn), kTaskThenPassHistory);
}

TEST(ClusterMember, ANodeLeavingHandsItsExecutionsOverAtOnce) {
  TestStore db;
  db.CreateMachine("m", kTaskThenPass);
  Node a(db, Fast("a"));
  ASSERT_EQ(a.Join(), Status::OK());
  Node b(db, Fast("b"));
  b.t.executor.AnswerAll(Json{{"done", true}});
  ASSERT_EQ(b.Join(), Status::OK());
  auto started = a.t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  ASSERT_EQ(a.t.executor.WaitForCalls(1).size(), 1u);
  a.Leave();
  // No clock moves: the last heartbeat expired at once.
  EXPECT_EQ(WaitForEnd(*db, started->execution_arn).status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(b.Owner(started->execution_arn), "b");
  EXPECT_EQ(Types(*db, started->execution_arn), kTaskThenPassHistory);
  auto nodes = db->ListNodes();
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].node_id, "a");
  EXPECT_EQ((*nodes)[0].address, "a.test:8080");
  EXPECT_EQ((*nodes)[0].expires_ms, (*nodes)[0].heartbeat_ms);
  EXPECT_GT((*nodes)[1].expires_ms, (*nodes)[1].heartbeat_ms);
}

TEST(ClusterMember, StartRefusesAnEmptyNodeIdOrInterval) {
  TestStore db;
  Node a(db, Fast("a"));
  ClusterOptions bad = Fast("");
  EXPECT_EQ(ClusterMember(bad, a.store.get(), &a.t.clock, a.t.engine.get(),
                          testing::CapturingLogger(a.t.log))
                .Start()
                .code(),
            StatusCode::kInvalidArgument);
  bad = Fast("a");
  bad.lease_ms = 0;
  EXPECT_EQ(ClusterMember(bad, a.store.get(), &a.t.clock, a.t.engine.get(),
                          testing::CapturingLogger(a.t.log))
                .Start()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(Cluster, RecoverIsRefusedInClusterMode) {
  TestStore db;
  Node a(db, Fast("a"));
  EXPECT_EQ(a.t.engine->Recover().code(), StatusCode::kFailedPrecondition);
}

TEST(Cluster, ANodeWhoseExecutionWasTakenOverStopsRunningIt) {
  TestStore db;
  db.CreateMachine("m", kTaskThenPass);
  ClusterOptions slow_check = Fast("a");
  slow_check.idle_check_interval_ms = 3600 * 1000;  // only the refused commit tells
  Node a(db, slow_check);
  Node b(db, Fast("b"));
  auto started = a.t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  const std::string arn = started->execution_arn;
  ASSERT_EQ(a.t.executor.WaitForCalls(1).size(), 1u);

  ASSERT_EQ(b.t.engine->TakeOver(arn), Status::OK());
  EXPECT_EQ(b.Owner(arn), "b");
  ASSERT_EQ(b.t.executor.WaitForCalls(1).size(), 1u);  // dispatched again there

  // a's answer makes a commit, which the store refuses: a forgets it.
  a.t.executor.Answer(0, Json{{"from", "a"}});
  ASSERT_TRUE(WaitUntil([&] { return a.t.engine->Stats().moved_away == 1; }));
  EngineStats stats = a.t.engine->Stats();
  EXPECT_EQ(stats.in_memory, 0u);
  EXPECT_EQ(stats.timers, 0u);
  EXPECT_EQ(stats.pending_tasks, 0u);
  EXPECT_THAT(Types(*db, arn), ElementsAre("ExecutionStarted", "TaskStateEntered",
                                           "LambdaFunctionScheduled", "LambdaFunctionStarted"));

  b.t.executor.Answer(0, Json{{"from", "b"}});
  store::ExecutionRecord done = WaitForEnd(*db, arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(done.output, R"({"from":"b"})");
  EXPECT_EQ(Types(*db, arn), kTaskThenPassHistory);
  ExpectWellFormedHistory(*db, arn);
  // Not a failure: nothing logged as a warning or an error, nothing read back.
  EXPECT_EQ(a.t.Log(), "");
  EXPECT_EQ(a.t.engine->Stats().in_memory, 0u);
}

TEST(Cluster, AnExecutionTakenBackIsReadAgainFromWhereTheOtherNodeLeftIt) {
  TestStore db;
  db.CreateMachine("m", R"({"StartAt":"One","States":{
      "One":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:one",
             "Next":"Two"},
      "Two":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:two",
             "End":true}}})");
  ClusterOptions a_options = Fast("a"), b_options = Fast("b");
  a_options.idle_check_interval_ms = b_options.idle_check_interval_ms = 3600 * 1000;
  Node c(db, Fast("c"));
  Node a(db, a_options);
  Node b(db, b_options);
  auto started = c.t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  const std::string arn = started->execution_arn;
  ASSERT_EQ(c.t.executor.WaitForCalls(1).size(), 1u);
  // a holds it at the first task; b takes it and moves it on to the second.
  ASSERT_EQ(a.t.engine->TakeOver(arn), Status::OK());
  ASSERT_EQ(a.t.executor.WaitForCalls(1).size(), 1u);
  ASSERT_EQ(b.t.engine->TakeOver(arn), Status::OK());
  ASSERT_EQ(b.t.executor.WaitForCalls(1).size(), 1u);
  b.t.executor.Answer(0, Json{{"one", 1}});
  ASSERT_EQ(b.t.executor.WaitForCalls(2).size(), 2u);

  // Taken back, a reads it again instead of going on from its own memory.
  ASSERT_EQ(a.t.engine->TakeOver(arn), Status::OK());
  auto calls = a.t.executor.WaitForCalls(2);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].request.state_name, "Two");
  a.t.executor.Answer(1, Json{{"two", 2}});
  store::ExecutionRecord done = WaitForEnd(*db, arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(done.output, R"({"two":2})");
  EXPECT_THAT(Types(*db, arn),
              ElementsAre("ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                          "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
                          "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
                          "LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"));
  ExpectWellFormedHistory(*db, arn);
  // b's late answer is refused by the store; b lets the execution go.
  b.t.executor.Answer(1, Json{{"two", "b"}});
  ASSERT_TRUE(WaitUntil([&] { return b.t.engine->Stats().moved_away == 1; }));
  EXPECT_EQ(db->GetExecution(arn)->output, R"({"two":2})");
  EXPECT_EQ(a.t.Log(), "");
  EXPECT_EQ(b.t.Log(), "");
}

TEST(Cluster, ATimerOfAnExecutionTakenOverElsewhereLetsItGo) {
  TestStore db;
  db.CreateMachine("m", R"({"StartAt":"Nap","States":{
      "Nap":{"Type":"Wait","Seconds":60,"Next":"Done"},"Done":{"Type":"Pass","End":true}}})");
  Node a(db, Fast("a"));
  Node b(db, Fast("b"));
  auto started = a.t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  const std::string arn = started->execution_arn;
  ASSERT_TRUE(WaitUntil([&] { return Types(*db, arn).size() >= 2; }));  // WaitStateEntered
  ASSERT_TRUE(WaitUntil([&] { return a.t.engine->Stats().timers == 1; }));
  ASSERT_EQ(b.t.engine->TakeOver(arn), Status::OK());
  ASSERT_TRUE(WaitUntil([&] { return b.t.engine->Stats().timers == 1; }));
  // a's timer comes first: it reads the execution, finds b owns it, and
  // forgets it.
  a.t.clock.Advance(std::chrono::seconds(61));
  ASSERT_TRUE(WaitUntil([&] { return a.t.engine->Stats().moved_away == 1; }));
  EXPECT_EQ(a.t.engine->Stats().timers, 0u);
  EXPECT_EQ(db->GetExecution(arn)->status, store::ExecutionStatus::kRunning);
  b.t.clock.Advance(std::chrono::seconds(61));
  EXPECT_EQ(WaitForEnd(*db, arn).status, store::ExecutionStatus::kSucceeded);
  EXPECT_THAT(Types(*db, arn),
              ElementsAre("ExecutionStarted", "WaitStateEntered", "WaitStateExited",
                          "PassStateEntered", "PassStateExited", "ExecutionSucceeded"));
  EXPECT_EQ(a.t.Log(), "");
}

TEST(Cluster, ARedriveAtTheNodeThatRanTheExecutionRunsItAgain) {
  TestStore db;
  db.CreateMachine("m", kTaskThenPass);
  Node a(db, Fast("a"));
  auto started = a.t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  const std::string arn = started->execution_arn;
  ASSERT_EQ(a.t.executor.WaitForCalls(1).size(), 1u);
  a.t.executor.Answer(0, asl::AslError{"Boom", "first try"});
  ASSERT_EQ(WaitForEnd(*db, arn).status, store::ExecutionStatus::kFailed);
  std::promise<StatusOr<RedriveResult>> redriven;
  auto future = redriven.get_future();
  a.t.engine->RedriveExecution({arn, "operator", ""},
                               [&](StatusOr<RedriveResult> r) { redriven.set_value(r); });
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_TRUE(future.get().ok());
  ASSERT_EQ(a.t.executor.WaitForCalls(2).size(), 2u);
  a.t.executor.Answer(1, Json::object());
  ASSERT_TRUE(WaitUntil(
      [&] { return db->GetExecution(arn)->status == store::ExecutionStatus::kSucceeded; }));
  EXPECT_EQ(a.Owner(arn), "a");
  ExpectWellFormedHistory(*db, arn);
}

TEST(Cluster, ARedriveAtAnotherNodeIsRefusedNamingTheOwner) {
  TestStore db;
  db.CreateMachine("m", kTaskThenPass);
  Node a(db, Fast("a"));
  Node b(db, Fast("b"));
  auto started = a.t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  const std::string arn = started->execution_arn;
  ASSERT_EQ(a.t.executor.WaitForCalls(1).size(), 1u);
  a.t.executor.Answer(0, asl::AslError{"Boom", "first try"});
  ASSERT_EQ(WaitForEnd(*db, arn).status, store::ExecutionStatus::kFailed);
  std::promise<StatusOr<RedriveResult>> redriven;
  auto future = redriven.get_future();
  b.t.engine->RedriveExecution({arn, "operator", ""},
                               [&](StatusOr<RedriveResult> r) { redriven.set_value(r); });
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  StatusOr<RedriveResult> result = future.get();
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(std::string(result.status().message()), ::testing::HasSubstr("node 'a'"));
  EXPECT_EQ(db->GetExecution(arn)->status, store::ExecutionStatus::kFailed);
  EXPECT_EQ(b.t.engine->Stats().in_memory, 0u);
}

TEST(Cluster, AStopSentToANodeThatDoesNotRunTheExecutionTakesItOver) {
  TestStore db;
  db.CreateMachine("m", kTaskThenPass);
  Node a(db, Fast("a"));
  Node b(db, Fast("b"));
  auto started = a.t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  const std::string arn = started->execution_arn;
  ASSERT_EQ(a.t.executor.WaitForCalls(1).size(), 1u);

  auto stopped = b.t.Stop(arn, "Operator", "stopped at b");
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  store::ExecutionRecord done = WaitForEnd(*db, arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kAborted);
  EXPECT_EQ(done.error, "Operator");
  EXPECT_EQ(b.Owner(arn), "b");
  // a held it waiting for its task: it finds out and lets it go.
  ASSERT_TRUE(WaitUntil([&] { return a.t.engine->Stats().moved_away == 1; }));
  EXPECT_EQ(a.t.engine->Stats().in_memory, 0u);
  a.t.executor.Answer(0, Json::object());  // too late: nothing is written
  const auto types = Types(*db, arn);
  EXPECT_EQ(types.back(), "ExecutionAborted");
  EXPECT_EQ(std::count(types.begin(), types.end(), "ExecutionAborted"), 1);
  ExpectWellFormedHistory(*db, arn);
}

TEST(Cluster, AnActivityAnsweredAtAnotherNodeEndsTheExecutionThere) {
  TestStore db;
  db.CreateMachine("m", kReview);
  ASSERT_EQ(db->CreateActivity(store::ActivityRecord{kActivityArn, "review", "{}", 1}, {}),
            Status::OK());
  Node a(db, Fast("a"));
  Node b(db, Fast("b"));
  auto started = a.t.Start("m", "e", R"({"doc":1})");
  ASSERT_TRUE(started.ok());
  const std::string arn = started->execution_arn;
  auto task = a.Poll(std::chrono::seconds(5));
  ASSERT_TRUE(task.ok() && task->has_value()) << task.status();
  ASSERT_TRUE(WaitUntil([&] { return Types(*db, arn).size() >= 4; }));  // ActivityStarted

  ASSERT_EQ(b.queue.Succeed((*task)->token, R"({"approved":true})"), Status::OK());
  store::ExecutionRecord done = WaitForEnd(*db, arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(done.output, R"({"approved":true})");
  EXPECT_EQ(b.Owner(arn), "b");
  EXPECT_THAT(
      Types(*db, arn),
      ElementsAre("ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
                  "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"));
  ExpectWellFormedHistory(*db, arn);
  ASSERT_TRUE(WaitUntil([&] { return a.t.engine->Stats().moved_away == 1; }));
  EXPECT_EQ(a.t.Log(), "");
  EXPECT_EQ(b.t.Log(), "");
}

TEST(Cluster, ATaskTokenAnsweredAtAnotherNodeEndsTheExecutionThere) {
  TestStore db;
  db.CreateMachine("m", R"({"StartAt":"Wait","States":{"Wait":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters":{"FunctionName":"f","Payload":{"token.$":"$$.Task.Token"}},"End":true}}})");
  Node a(db, Fast("a"));
  Node b(db, Fast("b"));
  a.t.executor.AnswerAll(Json::object());  // the integration's call succeeds
  auto started = a.t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  const std::string arn = started->execution_arn;
  auto calls = a.t.executor.WaitForCalls(1);
  ASSERT_EQ(calls.size(), 1u);
  const std::string token = calls[0].request.task_token;
  ASSERT_FALSE(token.empty());
  ASSERT_TRUE(WaitUntil([&] {
    auto types = Types(*db, arn);
    return std::find(types.begin(), types.end(), "TaskSubmitted") != types.end();
  }));

  ASSERT_EQ(b.queue.Succeed(token, R"({"called":"back"})"), Status::OK());
  store::ExecutionRecord done = WaitForEnd(*db, arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(done.output, R"({"called":"back"})");
  EXPECT_EQ(b.Owner(arn), "b");
  // The integration is not called again where it resumed.
  EXPECT_EQ(b.t.executor.WaitForCalls(0).size(), 0u);
  const auto types = Types(*db, arn);
  EXPECT_EQ(std::count(types.begin(), types.end(), "TaskSucceeded"), 1);
  ExpectWellFormedHistory(*db, arn);
}

TEST(Cluster, ALongPollAtOneNodeGetsATaskQueuedByAnother) {
  TestStore db;
  db.CreateMachine("m", kReview);
  ASSERT_EQ(db->CreateActivity(store::ActivityRecord{kActivityArn, "review", "{}", 1}, {}),
            Status::OK());
  Node a(db, Fast("a"));
  Node b(db, Fast("b"));
  std::promise<StatusOr<std::optional<ActivityQueue::Handout>>> answered;
  auto handout = answered.get_future();
  b.queue.Poll(
      kActivityArn, "worker-b", std::chrono::seconds(20),
      [&](StatusOr<std::optional<ActivityQueue::Handout>> r) { answered.set_value(std::move(r)); });
  auto started = a.t.Start("m", "e", R"({"doc":2})");
  ASSERT_TRUE(started.ok());
  const std::string arn = started->execution_arn;
  ASSERT_EQ(handout.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto task = handout.get();
  ASSERT_TRUE(task.ok() && task->has_value()) << task.status();
  EXPECT_EQ((*task)->input, R"({"doc":2})");
  // Handed out at b: the execution runs there now.
  EXPECT_EQ(b.Owner(arn), "b");
  ASSERT_EQ(b.queue.Succeed((*task)->token, "{}"), Status::OK());
  EXPECT_EQ(WaitForEnd(*db, arn).status, store::ExecutionStatus::kSucceeded);
  const auto types = Types(*db, arn);
  EXPECT_EQ(std::count(types.begin(), types.end(), "ActivityStarted"), 1);
  for (const auto& e : History(*db, arn)) {
    if (e.type == "ActivityStarted") {
      EXPECT_NE(e.details_json.find("worker-b"), std::string::npos);
    }
  }
  ExpectWellFormedHistory(*db, arn);
}

TEST(Cluster, AHeartbeatSentToAnotherNodeKeepsTheTaskAlive) {
  TestStore db;
  db.CreateMachine("m", kReview);
  ASSERT_EQ(db->CreateActivity(store::ActivityRecord{kActivityArn, "review", "{}", 1}, {}),
            Status::OK());
  Node a(db, Fast("a"));
  Node b(db, Fast("b"));
  auto started = a.t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  const std::string arn = started->execution_arn;
  auto task = a.Poll(std::chrono::seconds(5));
  ASSERT_TRUE(task.ok() && task->has_value());
  ASSERT_TRUE(WaitUntil([&] { return Types(*db, arn).size() >= 4; }));  // ActivityStarted
  const auto t0 = a.t.clock.Now();

  // 8 s in, the worker reports to b (b's clock agrees with a's).
  a.t.clock.Advance(std::chrono::seconds(8));
  b.t.clock.Set(a.t.clock.Now());
  ASSERT_EQ(b.queue.Heartbeat((*task)->token), Status::OK());
  EXPECT_EQ(b.Owner(arn), "a");  // a heartbeat moves nothing
  // 16 s in, a's deadline (10 s) passes; the stored heartbeat renews it (18 s).
  a.t.clock.Advance(std::chrono::seconds(8));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a looks at its deadline
  EXPECT_EQ(db->GetExecution(arn)->status, store::ExecutionStatus::kRunning);
  a.t.clock.Advance(std::chrono::seconds(3));  // 19 s: no heartbeat since 8 s
  store::ExecutionRecord done = WaitForEnd(*db, arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kFailed);
  EXPECT_EQ(done.error, "States.Timeout");
  for (const auto& e : History(*db, arn)) {
    if (e.type == "ActivityTimedOut") {
      EXPECT_GE(e.timestamp_ms, Ms(t0 + std::chrono::seconds(18)));
    }
  }
}

TEST(Cluster, WhenFinishedHearsOfAnExecutionAnotherNodeRuns) {
  TestStore db;
  db.CreateMachine("m", kTaskThenPass);
  Node a(db, Fast("a"));
  Node b(db, Fast("b"));
  auto started = a.t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  ASSERT_EQ(a.t.executor.WaitForCalls(1).size(), 1u);
  std::promise<Status> finished;
  auto future = finished.get_future();
  b.t.engine->WhenFinished(started->execution_arn, [&](Status s) { finished.set_value(s); });
  EXPECT_EQ(future.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  a.t.executor.Answer(0, Json::object());
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(future.get(), Status::OK());
  EXPECT_EQ(db->GetExecution(started->execution_arn)->status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(b.Owner(started->execution_arn), "a");
}

// Counts the calls a single node must never make.
class ClusterCallCounter : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Status HeartbeatNode(const store::NodeRecord& node) override {
    ++calls;
    return StoreWrapper::HeartbeatNode(node);
  }
  StatusOr<std::vector<store::RunningExecution>> ClaimExecutions(std::string_view node_id,
                                                                 int64_t now_ms, int limit,
                                                                 bool include_own) override {
    ++calls;
    return StoreWrapper::ClaimExecutions(node_id, now_ms, limit, include_own);
  }
  StatusOr<store::RunningExecution> ClaimExecution(std::string_view arn,
                                                   std::string_view node_id) override {
    ++calls;
    return StoreWrapper::ClaimExecution(arn, node_id);
  }
  StatusOr<std::string> GetExecutionOwner(std::string_view arn) override {
    ++calls;
    return StoreWrapper::GetExecutionOwner(arn);
  }
  StatusOr<store::Page<store::ActivityTaskRecord>> ListActivityTasks(
      const store::ActivityTaskFilter& filter, const store::PageRequest& page) override {
    ++calls;
    return StoreWrapper::ListActivityTasks(filter, page);
  }
  std::atomic<int> calls{0};
};

TEST(Cluster, ASingleNodeMakesNoClusterCall) {
  TestStore db;
  db.CreateMachine("m", kReview);
  db.CreateMachine("t", kTaskThenPass);
  ASSERT_EQ(db->CreateActivity(store::ActivityRecord{kActivityArn, "review", "{}", 1}, {}),
            Status::OK());
  ClusterCallCounter counted(db.get());
  TestEngine t(&counted, RuntimeOptions{}, /*start=*/false);
  ActivityQueue queue(&counted, &t.clock, testing::CapturingLogger(t.log));
  t.router.Register("arn:aws:states:us-east-1:123456789012:activity:", &queue);
  queue.SetEngine(t.engine.get());
  t.engine->Start();
  auto reviewed = t.Start("m", "e");
  ASSERT_TRUE(reviewed.ok());
  std::promise<StatusOr<std::optional<ActivityQueue::Handout>>> answered;
  auto handout = answered.get_future();
  queue.Poll(
      kActivityArn, "w", std::chrono::seconds(5),
      [&](StatusOr<std::optional<ActivityQueue::Handout>> r) { answered.set_value(std::move(r)); });
  auto task = handout.get();
  ASSERT_TRUE(task.ok() && task->has_value());
  t.clock.Advance(std::chrono::seconds(8));
  ASSERT_EQ(queue.Heartbeat((*task)->token), Status::OK());
  ASSERT_EQ(queue.Succeed((*task)->token, "{}"), Status::OK());
  EXPECT_EQ(WaitForEnd(*db, reviewed->execution_arn).status, store::ExecutionStatus::kSucceeded);
  auto stopped = t.Start("t", "s");
  ASSERT_TRUE(stopped.ok());
  ASSERT_EQ(t.executor.WaitForCalls(1).size(), 1u);
  ASSERT_TRUE(t.Stop(stopped->execution_arn).ok());
  queue.Stop();
  t.engine->Stop();
  EXPECT_EQ(counted.calls, 0);
}

}  // namespace
}  // namespace stepd::runtime
