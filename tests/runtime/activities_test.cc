#include "stepd/runtime/activities.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "runtime/runtime_testing.h"

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

}  // namespace
}  // namespace stepd::runtime
