// ListActivityTasks, part of the Store contract, run against every
// implementation: the tasks waiting for a worker or an answer (activity
// tasks and the tokens of .waitForTaskToken tasks alike), oldest first,
// by state, activity and execution, page after page.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "stepd/store/store.h"
#include "store/store_testing.h"

namespace stepd::store {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::ExecutionArn;
using ::testing::IsEmpty;
using testing::StoreFactory;
using testing::TempDir;

using State = ActivityTaskState;

constexpr char kResource[] = "arn:aws:states:::lambda:invoke.waitForTaskToken";

std::string ActivityArn(const std::string& name) {
  return "arn:aws:states:us-east-1:123456789012:activity:" + name;
}

ActivityTaskRecord Task(const std::string& activity, const std::string& execution, int64_t task_id,
                        int64_t created_at_ms) {
  ActivityTaskRecord t;
  t.activity_arn = ActivityArn(activity);
  t.execution_arn = ExecutionArn("m", execution);
  t.task_id = task_id;
  t.input = R"({"n":)" + std::to_string(task_id) + "}";
  t.created_at_ms = created_at_ms;
  return t;
}

ActivityTaskRecord Token(const std::string& execution, int64_t task_id, int64_t created_at_ms) {
  ActivityTaskRecord t;
  t.activity_arn = kResource;
  t.execution_arn = ExecutionArn("m", execution);
  t.task_id = task_id;
  t.created_at_ms = created_at_ms;
  return t;
}

// "<execution name>#<task id>" of each task.
std::vector<std::string> Keys(const Page<ActivityTaskRecord>& page) {
  const std::string prefix = ExecutionArn("m", "");
  std::vector<std::string> keys;
  for (const ActivityTaskRecord& t : page.items) {
    keys.push_back(t.execution_arn.substr(prefix.size()) + "#" + std::to_string(t.task_id));
  }
  return keys;
}

class ActivityTaskListingContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
    for (const char* name : {"a", "b"}) {
      ASSERT_EQ(store_->CreateActivity({ActivityArn(name), name, "{}", 10}, {}), Status::OK());
    }
  }

  void Enqueue(const ActivityTaskRecord& task) {
    StatusOr<ActivityTaskRecord> queued = store_->EnqueueActivityTask(task);
    ASSERT_TRUE(queued.ok()) << queued.status();
  }
  void Register(const ActivityTaskRecord& task, const std::string& hash) {
    StatusOr<ActivityTaskRecord> recorded = store_->RegisterTaskToken(task, hash);
    ASSERT_TRUE(recorded.ok()) << recorded.status();
  }
  // The id of the task a worker claims from `activity`; -1 when none.
  int64_t Claim(const std::string& activity, const std::string& hash, int64_t now_ms) {
    StatusOr<std::optional<ActivityTaskRecord>> claimed =
        store_->ClaimActivityTask(ActivityArn(activity), "w-" + activity, hash, now_ms);
    EXPECT_TRUE(claimed.ok()) << claimed.status();
    return claimed.ok() && claimed->has_value() ? (*claimed)->task_id : -1;
  }

  // Seven tasks in every state, created out of their time order:
  //   e3#5  b         created  50  CLOSED
  //   e1#2  a         created 100  QUEUED
  //   e2#7  resource  created 120  FAILED   (a token, answered)
  //   e1#6  resource  created 150  STARTED  (a token)
  //   e2#3  a         created 200  QUEUED
  //   e2#4  b         created 250  SUCCEEDED
  //   e1#1  a         created 300  STARTED  (claimed by w-a at 400)
  void Populate() {
    Enqueue(Task("a", "e1", 1, 300));
    Enqueue(Task("a", "e1", 2, 100));
    Enqueue(Task("a", "e2", 3, 200));
    Enqueue(Task("b", "e2", 4, 250));
    Enqueue(Task("b", "e3", 5, 50));
    // The oldest row of a queue is claimed first: e1#1.
    ASSERT_EQ(Claim("a", "hash-1", 400), 1);
    ASSERT_EQ(Claim("b", "hash-4", 410), 4);
    ActivityTaskRecord ok;
    ok.state = State::kSucceeded;
    ok.output = R"({"done":true})";
    ASSERT_TRUE(store_->FinishActivityTask("hash-4", ok).ok());
    ASSERT_EQ(store_->CloseActivityTask(ExecutionArn("m", "e3"), 5), Status::OK());
    Register(Token("e1", 6, 150), "token-6");
    Register(Token("e2", 7, 120), "token-7");
    ActivityTaskRecord failed;
    failed.state = State::kFailed;
    failed.error = "Rejected";
    ASSERT_TRUE(store_->FinishActivityTask("token-7", failed).ok());
  }

  // The keys of every task `filter` selects, on one page.
  std::vector<std::string> List(const ActivityTaskFilter& filter) {
    StatusOr<Page<ActivityTaskRecord>> page = store_->ListActivityTasks(filter, {});
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return {};
    EXPECT_EQ(page->next_token, "");
    return Keys(*page);
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

ActivityTaskFilter InStates(std::vector<State> states) {
  ActivityTaskFilter filter;
  filter.states = std::move(states);
  return filter;
}

TEST_P(ActivityTaskListingContract, ByDefaultListsThePendingTasksOldestFirstWithTheirFields) {
  Populate();
  StatusOr<Page<ActivityTaskRecord>> page = store_->ListActivityTasks({}, {});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_THAT(Keys(*page), ElementsAre("e1#2", "e1#6", "e2#3", "e1#1"));
  EXPECT_EQ(page->next_token, "");

  const ActivityTaskRecord& queued = page->items[0];
  EXPECT_EQ(queued.activity_arn, ActivityArn("a"));
  EXPECT_EQ(queued.state, State::kQueued);
  EXPECT_EQ(queued.input, R"({"n":2})");
  EXPECT_EQ(queued.worker_name, "");
  EXPECT_EQ(queued.created_at_ms, 100);
  EXPECT_EQ(queued.started_at_ms, std::nullopt);
  EXPECT_EQ(queued.heartbeat_at_ms, std::nullopt);

  const ActivityTaskRecord& token = page->items[1];
  EXPECT_EQ(token.activity_arn, kResource);
  EXPECT_EQ(token.state, State::kStarted);
  EXPECT_EQ(token.input, "{}");
  EXPECT_EQ(token.worker_name, "");
  EXPECT_EQ(token.started_at_ms, 150);
  EXPECT_EQ(token.heartbeat_at_ms, 150);

  const ActivityTaskRecord& claimed = page->items[3];
  EXPECT_EQ(claimed.activity_arn, ActivityArn("a"));
  EXPECT_EQ(claimed.execution_arn, ExecutionArn("m", "e1"));
  EXPECT_EQ(claimed.state, State::kStarted);
  EXPECT_EQ(claimed.input, R"({"n":1})");
  EXPECT_EQ(claimed.worker_name, "w-a");
  EXPECT_EQ(claimed.created_at_ms, 300);
  EXPECT_EQ(claimed.started_at_ms, 400);
  EXPECT_EQ(claimed.heartbeat_at_ms, 400);
  EXPECT_EQ(claimed.output, std::nullopt);

  // No token hash leaks into any field.
  StatusOr<Page<ActivityTaskRecord>> all =
      store_->ListActivityTasks(InStates({State::kQueued, State::kStarted, State::kSucceeded,
                                          State::kFailed, State::kClosed}),
                                {});
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->items.size(), 7u);
  for (const ActivityTaskRecord& t : all->items) {
    for (const std::string& field :
         {t.activity_arn, t.execution_arn, t.input, t.worker_name, t.output.value_or(""),
          t.error.value_or(""), t.cause.value_or("")}) {
      EXPECT_THAT(field, ::testing::Not(::testing::HasSubstr("hash-")));
      EXPECT_THAT(field, ::testing::Not(::testing::HasSubstr("token-")));
    }
  }
}

TEST_P(ActivityTaskListingContract, NamedStatesSelectThoseStatesOnly) {
  Populate();
  EXPECT_THAT(List(InStates({State::kQueued})), ElementsAre("e1#2", "e2#3"));
  EXPECT_THAT(List(InStates({State::kStarted})), ElementsAre("e1#6", "e1#1"));
  EXPECT_THAT(List(InStates({State::kSucceeded})), ElementsAre("e2#4"));
  EXPECT_THAT(List(InStates({State::kFailed})), ElementsAre("e2#7"));
  EXPECT_THAT(List(InStates({State::kClosed})), ElementsAre("e3#5"));
  EXPECT_THAT(List(InStates({State::kFailed, State::kClosed})), ElementsAre("e3#5", "e2#7"));
  // Order and repeats do not matter; naming the pending states is the default.
  EXPECT_THAT(List(InStates({State::kStarted, State::kQueued, State::kStarted})),
              ElementsAre("e1#2", "e1#6", "e2#3", "e1#1"));
  EXPECT_THAT(List(InStates({State::kClosed, State::kStarted, State::kSucceeded, State::kFailed,
                             State::kQueued})),
              ElementsAre("e3#5", "e1#2", "e2#7", "e1#6", "e2#3", "e2#4", "e1#1"));
}

TEST_P(ActivityTaskListingContract, SelectsByActivityOrResourceAndByExecution) {
  Populate();
  ActivityTaskFilter filter;
  filter.activity_arn = ActivityArn("a");
  EXPECT_THAT(List(filter), ElementsAre("e1#2", "e2#3", "e1#1"));
  filter.activity_arn = ActivityArn("b");
  EXPECT_THAT(List(filter), IsEmpty());
  filter.states = {State::kSucceeded, State::kClosed};
  EXPECT_THAT(List(filter), ElementsAre("e3#5", "e2#4"));

  filter = {};
  filter.activity_arn = kResource;
  EXPECT_THAT(List(filter), ElementsAre("e1#6"));
  filter.states = {State::kStarted, State::kFailed};
  EXPECT_THAT(List(filter), ElementsAre("e2#7", "e1#6"));

  filter = {};
  filter.execution_arn = ExecutionArn("m", "e1");
  EXPECT_THAT(List(filter), ElementsAre("e1#2", "e1#6", "e1#1"));
  filter.activity_arn = ActivityArn("a");
  EXPECT_THAT(List(filter), ElementsAre("e1#2", "e1#1"));
  filter.activity_arn = kResource;
  EXPECT_THAT(List(filter), ElementsAre("e1#6"));
  filter = {};
  filter.execution_arn = ExecutionArn("m", "e2");
  filter.states = {State::kFailed, State::kSucceeded};
  EXPECT_THAT(List(filter), ElementsAre("e2#7", "e2#4"));

  // What does not exist selects nothing; it is no error.
  filter = {};
  filter.activity_arn = ActivityArn("never-created");
  StatusOr<Page<ActivityTaskRecord>> none = store_->ListActivityTasks(filter, {});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_THAT(none->items, IsEmpty());
  EXPECT_EQ(none->next_token, "");
  filter = {};
  filter.execution_arn = ExecutionArn("m", "never-started");
  EXPECT_THAT(List(filter), IsEmpty());
}

TEST_P(ActivityTaskListingContract, TasksCreatedAtOnceGoByExecutionThenByTaskIdAsANumber) {
  Enqueue(Task("a", "e2", 2, 100));
  Enqueue(Task("a", "e1", 10, 100));
  Register(Token("e1", 3, 100), "token-3");
  Enqueue(Task("b", "e10", 1, 100));
  Enqueue(Task("a", "e1", 9, 100));
  Enqueue(Task("a", "e0", 99, 101));
  Enqueue(Task("a", "e9", 1, 99));
  // "...:e10" sorts before "...:e2" byte for byte; 9 before 10 as numbers.
  EXPECT_THAT(List({}), ElementsAre("e9#1", "e1#3", "e1#9", "e1#10", "e10#1", "e2#2", "e0#99"));
}

TEST_P(ActivityTaskListingContract, PagesHoldEveryTaskOnceInOrderAcrossTies) {
  // 12 tasks; 5 of them are activity a's pending ones, three created at one
  // time so that ties fall across a page's end.
  Enqueue(Task("a", "e1", 1, 100));
  Enqueue(Task("b", "e1", 2, 100));
  Enqueue(Task("a", "e2", 3, 100));
  Register(Token("e1", 4, 100), "token-4");
  Enqueue(Task("a", "e0", 5, 100));
  Enqueue(Task("a", "e3", 6, 90));
  Enqueue(Task("b", "e3", 7, 95));
  Enqueue(Task("a", "e4", 8, 300));
  Enqueue(Task("a", "e4", 9, 310));
  Enqueue(Task("a", "e4", 10, 320));
  Enqueue(Task("a", "e5", 11, 50));
  Register(Token("e5", 12, 60), "token-12");
  ASSERT_EQ(store_->CloseActivityTask(ExecutionArn("m", "e4"), 9), Status::OK());
  ASSERT_EQ(store_->CloseActivityTask(ExecutionArn("m", "e5"), 11), Status::OK());
  // A queue goes by row: e1#1, e2#3, e0#5.
  ASSERT_EQ(Claim("a", "hash-a", 500), 1);
  ASSERT_EQ(Claim("a", "hash-b", 500), 3);
  ASSERT_EQ(Claim("a", "hash-c", 500), 5);
  ActivityTaskRecord ok;
  ok.state = State::kSucceeded;
  ASSERT_TRUE(store_->FinishActivityTask("hash-c", ok).ok());

  auto by_pages = [&](const ActivityTaskFilter& filter, int size, std::vector<size_t>* sizes) {
    std::vector<std::string> keys;
    PageRequest request{size, ""};
    for (int pages = 0; pages < 100; ++pages) {
      StatusOr<Page<ActivityTaskRecord>> page = store_->ListActivityTasks(filter, request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      sizes->push_back(page->items.size());
      for (const std::string& key : Keys(*page)) keys.push_back(key);
      if (page->next_token.empty()) break;
      request.next_token = page->next_token;
    }
    return keys;
  };
  ActivityTaskFilter of_a;
  of_a.activity_arn = ActivityArn("a");
  std::vector<size_t> sizes;
  EXPECT_THAT(by_pages(of_a, 2, &sizes), ElementsAre("e3#6", "e1#1", "e2#3", "e4#8", "e4#10"));
  EXPECT_THAT(sizes, ElementsAre(2u, 2u, 1u));

  // Every pending task, by pages of one, two and three, as on one page.
  const std::vector<std::string> pending = List({});
  EXPECT_THAT(pending, ElementsAre("e5#12", "e3#6", "e3#7", "e1#1", "e1#2", "e1#4", "e2#3", "e4#8",
                                   "e4#10"));
  for (int size : {1, 2, 3}) {
    std::vector<size_t> page_sizes;
    EXPECT_THAT(by_pages({}, size, &page_sizes), ElementsAreArray(pending)) << size;
    EXPECT_EQ(page_sizes.size(), (pending.size() + size - 1) / size) << size;
  }
}

TEST_P(ActivityTaskListingContract, RefusesForeignOrMalformedTokensAndBadPageSizes) {
  Populate();
  EXPECT_EQ(store_->ListActivityTasks({}, {1001, ""}).status(),
            InvalidArgumentError("ListActivityTasks: max_results must be between 1 and 1000, "
                                 "got 1001"));
  StatusOr<Page<ActivityRecord>> activities = store_->ListActivities({1, ""});
  ASSERT_TRUE(activities.ok()) << activities.status();
  ASSERT_NE(activities->next_token, "");
  for (std::string bad : {activities->next_token, std::string("k.100.3132"),
                          std::string("k.100.zz"), std::string("garbage")}) {
    EXPECT_EQ(store_->ListActivityTasks({}, {0, bad}).status(),
              InvalidArgumentError("ListActivityTasks: invalid pagination token '" + bad + "'"));
  }
}

INSTANTIATE_TEST_SUITE_P(AllStores, ActivityTaskListingContract,
                         ::testing::ValuesIn(testing::StoreImplementations()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace stepd::store
