#include "stepd/runtime/activities.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <sqlite3.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "runtime/runtime_testing.h"
#include "stepd/base/crypto.h"

namespace stepd::runtime {
namespace {

using ::testing::ElementsAre;
using testing::History;
using testing::TestEngine;
using testing::TestStore;
using testing::WaitForEnd;
using testing::WaitUntil;

constexpr char kActivityArn[] = "arn:aws:states:us-east-1:123456789012:activity:review";

constexpr char kReview[] = R"({"StartAt":"Review","States":{"Review":{"Type":"Task",
    "Resource":"arn:aws:states:us-east-1:123456789012:activity:review","HeartbeatSeconds":10,
    "Catch":[{"ErrorEquals":["Rejected"],"ResultPath":"$.err","Next":"Rejected"}],"End":true},
    "Rejected":{"Type":"Pass","End":true}}})";

// An engine whose activity resources go to an ActivityQueue.
struct ActivityHarness {
  explicit ActivityHarness(TestStore& store, bool create = true)
      : t(store.get(), RuntimeOptions{}, /*start=*/false),
        queue(store.get(), &clock(),
              std::make_shared<spdlog::logger>("a",
                                               std::make_shared<spdlog::sinks::null_sink_mt>())) {
    if (create) {
      EXPECT_EQ(store->CreateActivity(store::ActivityRecord{kActivityArn, "review", "{}", 1}, {}),
                Status::OK());
    }
    t.router.Register("arn:aws:states:us-east-1:123456789012:activity:", &queue);
    queue.SetEngine(t.engine.get());
  }
  FakeClock& clock() { return t.clock; }

  // Polls and waits for the answer.
  StatusOr<std::optional<ActivityQueue::Handout>> Poll(std::chrono::milliseconds wait,
                                                       const std::string& worker = "worker-1") {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<StatusOr<std::optional<ActivityQueue::Handout>>> out;
    queue.Poll(kActivityArn, worker, wait, [&](StatusOr<std::optional<ActivityQueue::Handout>> r) {
      std::lock_guard lock(mu);
      out = std::move(r);
      cv.notify_all();
    });
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return out.has_value(); });
    if (!out) return DeadlineExceededError("poll did not answer");
    return std::move(*out);
  }

  TestEngine t;
  ActivityQueue queue;
};

TEST(ActivityQueue, AWorkerTakesTheTaskAndItsOutputEndsTheExecution) {
  TestStore store;
  store.CreateMachine("m", kReview);
  ActivityHarness h(store);
  h.t.engine->Start();
  auto started = h.t.Start("m", "e", R"({"doc":1})");
  ASSERT_TRUE(started.ok());
  auto task = h.Poll(std::chrono::seconds(5));
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_TRUE(task->has_value());
  EXPECT_EQ(Json::parse((*task)->input), Json::parse(R"({"doc":1})"));
  EXPECT_EQ((*task)->token.size(), 64u);
  ASSERT_EQ(h.queue.Succeed((*task)->token, R"({"approved":true})"), Status::OK());
  store::ExecutionRecord done = WaitForEnd(*store, started->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(Json::parse(*done.output), Json::parse(R"({"approved":true})"));
  std::vector<std::string> types;
  for (const auto& e : History(*store, done.arn)) types.push_back(e.type);
  EXPECT_THAT(types, ElementsAre("ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                                 "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                                 "ExecutionSucceeded"));
  // The token is spent.
  EXPECT_EQ(h.queue.Succeed((*task)->token, "{}").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.queue.Heartbeat((*task)->token).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.queue.Succeed(std::string(64, 'a'), "{}").code(), StatusCode::kNotFound);
}

TEST(ActivityQueue, AWaitingPollWhoseClientLeftIsGivenNoTask) {
  TestStore store;
  store.CreateMachine("m", kReview);
  ActivityHarness h(store);
  h.t.engine->Start();
  std::atomic<bool> gone{false};
  std::atomic<int> answers{0};
  std::atomic<bool> got_task{false};
  h.queue.Poll(
      kActivityArn, "left", std::chrono::seconds(10),
      [&](StatusOr<std::optional<ActivityQueue::Handout>> r) {
        got_task = r.ok() && r->has_value();
        answers++;
      },
      [&] { return gone.load(); });
  gone = true;  // the client disconnected while its poll waited
  auto started = h.t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(WaitUntil([&] { return answers.load() == 1; }));
  EXPECT_FALSE(got_task.load());
  // The task is still queued for the next worker.
  auto task = h.Poll(std::chrono::seconds(5), "stayed");
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_TRUE(task->has_value());
  ASSERT_EQ(h.queue.Succeed((*task)->token, "{}"), Status::OK());
  EXPECT_EQ(WaitForEnd(*store, started->execution_arn).status, store::ExecutionStatus::kSucceeded);
}

TEST(ActivityQueue, AWaitingPollGetsTheNextTaskAndAnEmptyPollEndsEmpty) {
  TestStore store;
  store.CreateMachine("m", kReview);
  ActivityHarness h(store);
  h.t.engine->Start();
  auto empty = h.Poll(std::chrono::milliseconds(30));
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
  // A poll waiting before the task exists gets it when it is queued.
  std::mutex mu;
  std::optional<ActivityQueue::Handout> got;
  h.queue.Poll(kActivityArn, "early-bird", std::chrono::seconds(10),
               [&](StatusOr<std::optional<ActivityQueue::Handout>> r) {
                 std::lock_guard lock(mu);
                 if (r.ok() && r->has_value()) got = **r;
               });
  auto started = h.t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard lock(mu);
    return got.has_value();
  }));
  ASSERT_TRUE(WaitUntil([&] {
    for (const auto& e : History(*store, started->execution_arn)) {
      if (e.type == "ActivityStarted") {
        return Json::parse(e.details_json)["workerName"] == "early-bird";
      }
    }
    return false;
  }));
  EXPECT_EQ(h.Poll(std::chrono::seconds(0)).status().code(), StatusCode::kOk);
  EXPECT_EQ(h.queue.Fail(got->token, "Rejected", "missing signature"), Status::OK());
  store::ExecutionRecord done = WaitForEnd(*store, started->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(Json::parse(*done.output)["err"],
            Json::parse(R"({"Error":"Rejected","Cause":"missing signature"})"));
}

TEST(ActivityQueue, PollingAnUnknownActivityIsNotFound) {
  TestStore store;
  ActivityHarness h(store, /*create=*/false);
  EXPECT_EQ(h.Poll(std::chrono::milliseconds(1)).status().code(), StatusCode::kNotFound);
}

TEST(ActivityQueue, HeartbeatsKeepATaskAliveUntilTheyStop) {
  TestStore store;
  store.CreateMachine("m", kReview);
  ActivityHarness h(store);
  h.t.engine->Start();
  auto started = h.t.Start("m", "e");
  ASSERT_TRUE(started.ok());
  auto task = h.Poll(std::chrono::seconds(5));
  ASSERT_TRUE(task.ok() && task->has_value());
  // The heartbeat period starts when the worker takes the task.
  ASSERT_TRUE(WaitUntil([&] { return History(*store, started->execution_arn).size() >= 4; }));
  for (int i = 0; i < 3; ++i) {
    h.clock().Advance(std::chrono::seconds(8));
    ASSERT_EQ(h.queue.Heartbeat((*task)->token), Status::OK());
    // Give the engine time to take the heartbeat in (no commit to wait for).
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ(store->GetExecution(started->execution_arn)->status,
              store::ExecutionStatus::kRunning);
  }
  h.clock().Advance(std::chrono::seconds(11));
  store::ExecutionRecord done = WaitForEnd(*store, started->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kFailed);
  EXPECT_EQ(done.error, "States.Timeout");
  // The timed-out task refuses late answers.
  ASSERT_TRUE(WaitUntil([&] {
    return h.queue.Succeed((*task)->token, "{}").code() == StatusCode::kFailedPrecondition;
  }));
}

TEST(ActivityQueue, ATaskTakenBeforeARestartIsAnsweredAfterIt) {
  TestStore store;
  store.CreateMachine("m", kReview);
  std::string arn, token;
  {
    ActivityHarness h(store);
    h.t.engine->Start();
    auto started = h.t.Start("m", "e", R"({"n":5})");
    ASSERT_TRUE(started.ok());
    arn = started->execution_arn;
    auto task = h.Poll(std::chrono::seconds(5));
    ASSERT_TRUE(task.ok() && task->has_value());
    token = (*task)->token;
    ASSERT_TRUE(WaitUntil([&] { return History(*store, arn).size() >= 4; }));
  }
  store.Reopen();
  ActivityHarness again(store, /*create=*/false);
  again.t.engine->Start();
  // The task is not handed out twice...
  auto none = again.Poll(std::chrono::milliseconds(30));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  // ...and the first worker's answer still counts.
  ASSERT_TRUE(WaitUntil([&] { return again.queue.Succeed(token, R"({"late":true})").ok(); }));
  store::ExecutionRecord done = WaitForEnd(*store, arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(Json::parse(*done.output), Json::parse(R"({"late":true})"));
}

std::vector<std::string> Types(store::Store& store, const std::string& arn);

TEST(ActivityQueue, AHandoutWhoseActivityStartedWasNotRecordedBeforeAKillIsRecordedOnRestart) {
  TestStore store;
  store.CreateMachine("m", kReview);
  std::string arn;
  const std::string token(64, 'a');
  {
    ActivityHarness h(store);
    h.t.engine->Start();
    auto started = h.t.Start("m", "e", R"({"n":5})");
    ASSERT_TRUE(started.ok());
    arn = started->execution_arn;
    // The handout is durable, the process dies before its ActivityStarted
    // is: the worker holds a token the execution's history never mentions.
    // (ActivityScheduled commits before the task is queued, so wait for the
    // queued task itself.)
    ASSERT_TRUE(WaitUntil([&] {
      auto claimed =
          store->ClaimActivityTask(kActivityArn, "worker-7", Sha256(token), 1700000000000);
      return claimed.ok() && claimed->has_value();
    }));
  }
  store.Reopen();
  ActivityHarness again(store, /*create=*/false);
  again.t.engine->Start();
  ASSERT_TRUE(WaitUntil([&] { return again.queue.Succeed(token, R"({"late":true})").ok(); }));
  store::ExecutionRecord done = WaitForEnd(*store, arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_THAT(Types(*store, arn),
              ElementsAre("ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                          "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                          "ExecutionSucceeded"));
  EXPECT_EQ(Json::parse(History(*store, arn)[3].details_json), Json({{"workerName", "worker-7"}}));
}

// A human approval: the integration hands the token to someone, who
// answers on it later.
constexpr char kApproval[] = R"({"StartAt":"Ask","States":{"Ask":{"Type":"Task",
    "Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
    "Parameters":{"FunctionName":"notify","Payload":{"token.$":"$$.Task.Token","doc.$":"$.doc"}},
    "TimeoutSeconds":3600,"HeartbeatSeconds":600,
    "Catch":[{"ErrorEquals":["Rejected"],"ResultPath":"$.err","Next":"Rejected"}],"End":true},
    "Rejected":{"Type":"Pass","End":true}}})";

// An engine whose lambda:invoke integration is the scripted executor, with
// the queue keeping .waitForTaskToken tokens.
struct TokenHarness : ActivityHarness {
  explicit TokenHarness(TestStore& store) : ActivityHarness(store, /*create=*/false) {
    t.router.Register("arn:aws:states:::lambda:invoke", &t.executor);
    t.router.SetTokenKeeper(&queue);
  }
  // The token the integration was given in its payload.
  std::string TokenOf(size_t call) {
    auto calls = t.executor.WaitForCalls(call + 1);
    if (calls.size() <= call) return "";
    return calls[call].request.parameters["Payload"]["token"].get<std::string>();
  }
};

std::vector<std::string> Types(store::Store& store, const std::string& arn) {
  std::vector<std::string> types;
  for (const auto& e : History(store, arn)) types.push_back(e.type);
  return types;
}

TEST(TaskTokens, AnApprovalSentOnTheTokenEndsTheTask) {
  TestStore store;
  store.CreateMachine("m", kApproval);
  TokenHarness h(store);
  h.t.engine->Start();
  auto started = h.t.Start("m", "e", R"({"doc":7})");
  ASSERT_TRUE(started.ok());
  const std::string token = h.TokenOf(0);
  ASSERT_EQ(token.size(), 64u);
  EXPECT_EQ(h.t.executor.WaitForCalls(1)[0].request.task_token, token);
  // The integration's answer is not the task's: it is recorded and the task
  // goes on waiting.
  h.t.executor.Answer(0, Json{{"StatusCode", 200}});
  ASSERT_TRUE(WaitUntil([&] { return Types(*store, started->execution_arn).size() == 5; }));
  EXPECT_EQ(store->GetExecution(started->execution_arn)->status,
            store::ExecutionStatus::kRunning);
  ASSERT_EQ(h.queue.Heartbeat(token), Status::OK());
  ASSERT_EQ(h.queue.Succeed(token, R"({"approved":true})"), Status::OK());
  store::ExecutionRecord done = WaitForEnd(*store, started->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(Json::parse(*done.output), Json::parse(R"({"approved":true})"));
  EXPECT_THAT(Types(*store, done.arn),
              ElementsAre("ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                          "TaskSubmitted", "TaskSucceeded", "TaskStateExited",
                          "ExecutionSucceeded"));
  auto history = History(*store, done.arn);
  EXPECT_EQ(history[4].details_key, "taskSubmittedEventDetails");
  EXPECT_EQ(Json::parse(history[4].details_json)["output"], R"({"StatusCode":200})");
  // Spent.
  EXPECT_EQ(h.queue.Succeed(token, "{}").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.queue.Fail(token, "E", "").code(), StatusCode::kFailedPrecondition);
}

TEST(TaskTokens, AFailureSentOnTheTokenIsCaught) {
  TestStore store;
  store.CreateMachine("m", kApproval);
  TokenHarness h(store);
  h.t.engine->Start();
  auto started = h.t.Start("m", "e", R"({"doc":7})");
  ASSERT_TRUE(started.ok());
  const std::string token = h.TokenOf(0);
  ASSERT_EQ(h.queue.Fail(token, "Rejected", "not this one"), Status::OK());
  store::ExecutionRecord done = WaitForEnd(*store, started->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(Json::parse(*done.output)["err"],
            Json::parse(R"({"Error":"Rejected","Cause":"not this one"})"));
}

TEST(TaskTokens, AFailingIntegrationFailsTheTaskAndSpendsTheToken) {
  TestStore store;
  store.CreateMachine("m", kApproval);
  TokenHarness h(store);
  h.t.engine->Start();
  auto started = h.t.Start("m", "e", R"({"doc":7})");
  ASSERT_TRUE(started.ok());
  const std::string token = h.TokenOf(0);
  h.t.executor.Answer(0, asl::AslError{"Lambda.ServiceException", "the function is down"});
  store::ExecutionRecord done = WaitForEnd(*store, started->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kFailed);
  EXPECT_EQ(done.error, "Lambda.ServiceException");
  EXPECT_EQ(h.queue.Succeed(token, "{}").code(), StatusCode::kFailedPrecondition);
}

TEST(TaskTokens, ATokenThatTimesOutIsSpent) {
  TestStore store;
  store.CreateMachine("m", kApproval);
  TokenHarness h(store);
  h.t.engine->Start();
  auto started = h.t.Start("m", "e", R"({"doc":7})");
  ASSERT_TRUE(started.ok());
  const std::string token = h.TokenOf(0);
  h.t.executor.Answer(0, Json::object());
  ASSERT_TRUE(WaitUntil([&] { return Types(*store, started->execution_arn).size() == 5; }));
  // No heartbeat within HeartbeatSeconds.
  h.clock().Advance(std::chrono::seconds(601));
  store::ExecutionRecord done = WaitForEnd(*store, started->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kFailed);
  EXPECT_EQ(done.error, "States.Timeout");
  EXPECT_EQ(Types(*store, done.arn)[5], "TaskTimedOut");
  EXPECT_EQ(h.queue.Succeed(token, "{}").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.queue.Heartbeat(token).code(), StatusCode::kFailedPrecondition);
}

TEST(TaskTokens, StoppingTheExecutionSpendsTheTokenAndCancelsTheIntegration) {
  TestStore store;
  store.CreateMachine("m", kApproval);
  TokenHarness h(store);
  h.t.engine->Start();
  auto started = h.t.Start("m", "e", R"({"doc":7})");
  ASSERT_TRUE(started.ok());
  const std::string token = h.TokenOf(0);
  ASSERT_TRUE(h.t.Stop(started->execution_arn).ok());
  ASSERT_TRUE(WaitUntil([&] { return h.t.executor.cancelled() == 1; }));
  ASSERT_TRUE(WaitUntil([&] { return h.queue.Succeed(token, "{}").code() != StatusCode::kOk; }));
  EXPECT_EQ(h.queue.Succeed(token, "{}").code(), StatusCode::kFailedPrecondition);
}

TEST(TaskTokens, ATokenOutlivesARestartAndTheIntegrationIsNotCalledAgain) {
  TestStore store;
  store.CreateMachine("m", kApproval);
  std::string arn, token;
  {
    TokenHarness h(store);
    h.t.engine->Start();
    auto started = h.t.Start("m", "e", R"({"doc":7})");
    ASSERT_TRUE(started.ok());
    arn = started->execution_arn;
    token = h.TokenOf(0);
    h.t.executor.Answer(0, Json::object());
    ASSERT_TRUE(WaitUntil([&] { return Types(*store, arn).size() == 5; }));
  }
  store.Reopen();
  TokenHarness again(store);
  again.t.engine->Start();
  ASSERT_TRUE(WaitUntil([&] { return again.queue.Succeed(token, R"({"late":true})").ok(); }));
  store::ExecutionRecord done = WaitForEnd(*store, arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(Json::parse(*done.output), Json::parse(R"({"late":true})"));
  EXPECT_EQ(again.t.executor.WaitForCalls(0).size(), 0u);
}

TEST(TaskTokens, EveryExecutionGetsItsOwnUnguessableToken) {
  TestStore store;
  store.CreateMachine("m", kApproval);
  TokenHarness h(store);
  h.t.engine->Start();
  std::set<std::string> tokens;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(h.t.Start("m", "e" + std::to_string(i), R"({"doc":1})").ok());
  for (const TaskCall& call : h.t.executor.WaitForCalls(20)) {
    EXPECT_EQ(call.request.task_token.size(), 64u);
    EXPECT_EQ(call.request.task_token.find_first_not_of("0123456789abcdef"), std::string::npos);
    tokens.insert(call.request.task_token);
  }
  EXPECT_EQ(tokens.size(), 20u);
  // The token table keeps their hashes only (the tokens themselves are in
  // the TaskScheduled events' parameters, as on AWS).
  ASSERT_TRUE(WaitUntil([&] {
    return std::all_of(tokens.begin(), tokens.end(), [&](const std::string& token) {
      return store->GetActivityTaskByToken(Sha256(token)).ok();
    });
  }));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((store.dir() / "stepd.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT token_hash FROM task_tokens", -1, &stmt, nullptr),
            SQLITE_OK);
  int rows = 0;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    ++rows;
    std::string hash(static_cast<const char*>(sqlite3_column_blob(stmt, 0)),
                     static_cast<size_t>(sqlite3_column_bytes(stmt, 0)));
    EXPECT_EQ(hash.size(), 32u);
    EXPECT_EQ(tokens.count(hash), 0u);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_EQ(rows, 20);
}

}  // namespace
}  // namespace stepd::runtime
