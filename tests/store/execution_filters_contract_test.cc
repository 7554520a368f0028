// The operators' execution listings, part of the Store contract, run against
// every implementation: executions found by start time, name prefix, error
// and the execution they were restarted from, each condition alone and
// combined with the others, page after page; and restarted_from kept
// however an execution is created.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stepd/store/store.h"
#include "store/store_testing.h"

namespace stepd::store {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::Execution;
using testing::ExecutionArn;
using ::testing::IsEmpty;
using testing::Machine;
using testing::MachineArn;
using testing::StoreFactory;
using testing::TempDir;

std::vector<std::string> Names(const Page<ExecutionRecord>& page) {
  std::vector<std::string> names;
  for (const ExecutionRecord& e : page.items) names.push_back(e.name);
  return names;
}

class ExecutionFilterContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
    ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  }

  // Creates execution `name` of machine "m" started at `start_ms`, ended
  // with `error` when it is not empty, restarted from execution
  // `restarted_from` of "m" when that is not empty.
  void Create(const std::string& name, int64_t start_ms, const std::string& error = "",
              const std::string& restarted_from = "") {
    ExecutionRecord e = Execution("m", name, start_ms);
    if (!error.empty()) {
      e.status = ExecutionStatus::kFailed;
      e.error = error;
      e.stop_time_ms = start_ms + 1;
    }
    if (!restarted_from.empty()) e.restarted_from = ExecutionArn("m", restarted_from);
    ASSERT_EQ(store_->CreateExecution(e, {}), Status::OK()) << name;
  }

  // The names of every execution `filter` selects, newest first.
  std::vector<std::string> List(const ExecutionFilter& filter) {
    StatusOr<Page<ExecutionRecord>> page = store_->ListExecutions(filter, {});
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return {};
    EXPECT_EQ(page->next_token, "");
    return Names(*page);
  }

  // The names `filter` selects, read `page_size` at a time, with the sizes
  // of the pages in *sizes.
  std::vector<std::string> ListByPages(const ExecutionFilter& filter, int page_size,
                                       std::vector<size_t>* sizes) {
    std::vector<std::string> names;
    PageRequest request{page_size, ""};
    for (int pages = 0; pages < 100; ++pages) {
      StatusOr<Page<ExecutionRecord>> page = store_->ListExecutions(filter, request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      sizes->push_back(page->items.size());
      for (const std::string& name : Names(*page)) names.push_back(name);
      if (page->next_token.empty()) break;
      request.next_token = page->next_token;
    }
    return names;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(ExecutionFilterContract, StartTimeBoundsIncludeTheAfterTimeAndExcludeTheBeforeTime) {
  Create("t1", 1000);
  Create("t2", 2000);
  Create("t3", 3000);
  Create("t4", 4000);
  ExecutionFilter filter;
  filter.started_after_ms = 2000;
  EXPECT_THAT(List(filter), ElementsAre("t4", "t3", "t2"));
  filter = {};
  filter.started_before_ms = 3000;
  EXPECT_THAT(List(filter), ElementsAre("t2", "t1"));
  filter.started_after_ms = 2000;
  EXPECT_THAT(List(filter), ElementsAre("t2"));
  filter.started_after_ms = 3000;  // an empty window
  EXPECT_THAT(List(filter), IsEmpty());
  filter = {};
  filter.started_after_ms = 4001;
  EXPECT_THAT(List(filter), IsEmpty());
  filter = {};
  filter.started_before_ms = 1000;
  EXPECT_THAT(List(filter), IsEmpty());
}

TEST_P(ExecutionFilterContract, ANamePrefixMatchesExactBytesCaseSensitivelyWithoutWildcards) {
  for (const char* name : {"run-1", "Run-2", "runner", "run_x", "run%", "rum", "run-3", "re-run-4",
                           "\xc3\xa9t\xc3\xa9", "\xc3\xaate", "\xff\xff-z", "\xfe"}) {
    Create(name, 1000);
  }
  auto with_prefix = [&](const std::string& prefix) {
    ExecutionFilter filter;
    filter.name_prefix = prefix;
    return List(filter);
  };
  EXPECT_THAT(with_prefix("run-"), ElementsAre("run-3", "run-1"));
  EXPECT_THAT(with_prefix("run"), ElementsAre("run-3", "run%", "run_x", "runner", "run-1"));
  EXPECT_THAT(with_prefix("Run"), ElementsAre("Run-2"));
  EXPECT_THAT(with_prefix("re"), ElementsAre("re-run-4"));
  // '_' and '%' are plain characters, not LIKE's wildcards.
  EXPECT_THAT(with_prefix("run_"), ElementsAre("run_x"));
  EXPECT_THAT(with_prefix("run%"), ElementsAre("run%"));
  // A whole name is its own prefix; a longer one matches nothing.
  EXPECT_THAT(with_prefix("rum"), ElementsAre("rum"));
  EXPECT_THAT(with_prefix("rum-and-more"), IsEmpty());
  // Bytes, not characters: "é" (c3 a9) is not "ê" (c3 aa), and a lone
  // lead byte is the prefix of both.
  EXPECT_THAT(with_prefix("\xc3\xa9"), ElementsAre("\xc3\xa9t\xc3\xa9"));
  EXPECT_THAT(with_prefix("\xc3"), ElementsAre("\xc3\xaate", "\xc3\xa9t\xc3\xa9"));
  // A prefix of 0xff bytes has no upper bound to compare with.
  EXPECT_THAT(with_prefix("\xff"), ElementsAre("\xff\xff-z"));
  EXPECT_THAT(with_prefix("\xff\xff"), ElementsAre("\xff\xff-z"));
  EXPECT_THAT(with_prefix("\xfe"), ElementsAre("\xfe"));
  EXPECT_THAT(with_prefix("x"), IsEmpty());
}

TEST_P(ExecutionFilterContract, AnErrorMatchesExactlyAndOnlyExecutionsThatHaveIt) {
  Create("task-failed", 1000, "States.TaskFailed");
  Create("timeout", 1100, "States.Timeout");
  Create("longer", 1200, "States.TaskFailedTwice");
  Create("shorter", 1300, "States.Task");
  Create("lower", 1400, "states.taskfailed");
  Create("running", 1500);
  // An error a transition sets counts as well.
  Create("failed-later", 1600);
  Transition fail;
  fail.execution_arn = ExecutionArn("m", "failed-later");
  fail.update.status = ExecutionStatus::kFailed;
  fail.update.error = "States.TaskFailed";
  fail.update.cause = "boom";
  ASSERT_TRUE(store_->CommitTransition(fail).ok());

  ExecutionFilter filter;
  filter.error = "States.TaskFailed";
  EXPECT_THAT(List(filter), ElementsAre("failed-later", "task-failed"));
  filter.error = "States.Timeout";
  EXPECT_THAT(List(filter), ElementsAre("timeout"));
  filter.error = "States.";
  EXPECT_THAT(List(filter), IsEmpty());

  // A redrive clears the error: the execution no longer has it.
  Transition redrive;
  redrive.execution_arn = ExecutionArn("m", "task-failed");
  redrive.update.reopen = true;
  redrive.update.status = ExecutionStatus::kRunning;
  redrive.update.redrive_count = 1;
  ASSERT_TRUE(store_->CommitTransition(redrive).ok());
  filter.error = "States.TaskFailed";
  EXPECT_THAT(List(filter), ElementsAre("failed-later"));
}

TEST_P(ExecutionFilterContract, RestartedFromIsKeptByCreateExecution) {
  Create("original", 1000, "States.TaskFailed");
  Create("restart", 2000, "", "original");
  StatusOr<ExecutionRecord> got = store_->GetExecution(ExecutionArn("m", "restart"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->restarted_from, ExecutionArn("m", "original"));
  EXPECT_EQ(store_->GetExecution(ExecutionArn("m", "original"))->restarted_from, "");
  // Listings return it too.
  StatusOr<Page<ExecutionRecord>> page = store_->ListExecutions({}, {});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_THAT(Names(*page), ElementsAre("restart", "original"));
  EXPECT_EQ(page->items[0].restarted_from, ExecutionArn("m", "original"));
  EXPECT_EQ(page->items[1].restarted_from, "");
}

TEST_P(ExecutionFilterContract, RestartedFromIsKeptByTheCreateOfACommitAndByLaterCommits) {
  Create("original", 1000, "States.TaskFailed");
  Transition start;
  start.execution_arn = ExecutionArn("m", "restart");
  start.create = Execution("m", "restart", 2000);
  start.create->restarted_from = ExecutionArn("m", "original");
  start.events = {testing::Event(1, "ExecutionStarted")};
  start.update.snapshot = "s1";
  StatusOr<ExecutionRecord> committed = store_->CommitTransition(start);
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(committed->restarted_from, ExecutionArn("m", "original"));

  Transition next;
  next.execution_arn = start.execution_arn;
  next.events = {testing::Event(2, "ExecutionSucceeded")};
  next.update.status = ExecutionStatus::kSucceeded;
  next.update.output = "{}";
  ASSERT_TRUE(store_->CommitTransition(next).ok());
  StatusOr<ExecutionRecord> got = store_->GetExecution(start.execution_arn);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->restarted_from, ExecutionArn("m", "original"));
  EXPECT_EQ(got->status, ExecutionStatus::kSucceeded);
  ExecutionFilter filter;
  filter.restarted_from = ExecutionArn("m", "original");
  EXPECT_THAT(List(filter), ElementsAre("restart"));
}

TEST_P(ExecutionFilterContract, RestartedFromSelectsTheRestartsOfOneExecutionOnly) {
  Create("original", 1000, "States.TaskFailed");
  Create("other", 1100, "States.TaskFailed");
  Create("restart-1", 2000, "States.TaskFailed", "original");
  Create("restart-of-other", 2100, "", "other");
  Create("restart-2", 2200, "", "original");
  Create("restart-of-restart", 2300, "", "restart-1");
  ExecutionFilter filter;
  filter.restarted_from = ExecutionArn("m", "original");
  EXPECT_THAT(List(filter), ElementsAre("restart-2", "restart-1"));
  filter.restarted_from = ExecutionArn("m", "restart-1");
  EXPECT_THAT(List(filter), ElementsAre("restart-of-restart"));
  filter.restarted_from = ExecutionArn("m", "restart-2");
  EXPECT_THAT(List(filter), IsEmpty());
  filter.restarted_from = ExecutionArn("m", "never-existed");
  EXPECT_THAT(List(filter), IsEmpty());
}

TEST_P(ExecutionFilterContract, EveryConditionNarrowsTheOthers) {
  ASSERT_EQ(store_->CreateStateMachine(Machine("n"), {}), Status::OK());
  Create("original", 500, "States.TaskFailed");
  // The one execution every condition below selects...
  Create("keep-match", 2000, "States.TaskFailed", "original");
  // ... and one that each condition alone turns away.
  Create("keep-early", 999, "States.TaskFailed", "original");
  Create("keep-late", 3000, "States.TaskFailed", "original");
  Create("other-name", 2000, "States.TaskFailed", "original");
  Create("keep-error", 2000, "States.Timeout", "original");
  Create("keep-unrestarted", 2000, "States.TaskFailed");
  ExecutionRecord timed_out = Execution("m", "keep-timed-out", 2000);
  timed_out.status = ExecutionStatus::kTimedOut;
  timed_out.error = "States.TaskFailed";
  timed_out.restarted_from = ExecutionArn("m", "original");
  ASSERT_EQ(store_->CreateExecution(timed_out, {}), Status::OK());
  ExecutionRecord elsewhere = Execution("n", "keep-match", 2000);
  elsewhere.status = ExecutionStatus::kFailed;
  elsewhere.error = "States.TaskFailed";
  elsewhere.restarted_from = ExecutionArn("m", "original");
  ASSERT_EQ(store_->CreateExecution(elsewhere, {}), Status::OK());

  ExecutionFilter all;
  all.state_machine_arn = MachineArn("m");
  all.status = ExecutionStatus::kFailed;
  all.started_after_ms = 1000;
  all.started_before_ms = 3000;
  all.name_prefix = "keep-";
  all.error = "States.TaskFailed";
  all.restarted_from = ExecutionArn("m", "original");
  EXPECT_THAT(List(all), ElementsAre("keep-match"));

  // Without one condition, exactly the execution it turned away comes back.
  struct Dropped {
    const char* condition;
    void (*drop)(ExecutionFilter*);
    std::vector<std::string> expected;
  };
  const std::vector<Dropped> cases = {
      {"state_machine_arn",
       [](ExecutionFilter* f) { f->state_machine_arn.clear(); },
       {"keep-match", "keep-match"}},
      {"status", [](ExecutionFilter* f) { f->status.reset(); }, {"keep-timed-out", "keep-match"}},
      {"started_after_ms",
       [](ExecutionFilter* f) { f->started_after_ms.reset(); },
       {"keep-early", "keep-match"}},
      {"started_before_ms",
       [](ExecutionFilter* f) { f->started_before_ms.reset(); },
       {"keep-late", "keep-match"}},
      {"name_prefix",
       [](ExecutionFilter* f) { f->name_prefix.clear(); },
       {"other-name", "keep-match"}},
      {"error", [](ExecutionFilter* f) { f->error.clear(); }, {"keep-error", "keep-match"}},
      {"restarted_from",
       [](ExecutionFilter* f) { f->restarted_from.clear(); },
       {"keep-unrestarted", "keep-match"}},
  };
  for (const Dropped& c : cases) {
    ExecutionFilter filter = all;
    c.drop(&filter);
    EXPECT_THAT(List(filter), ElementsAreArray(c.expected)) << "without " << c.condition;
  }
}

TEST_P(ExecutionFilterContract, PagesOfAFilteredListingHoldEveryMatchOnceNewestFirst) {
  // 12 executions; each filter below selects the same 5 of them (those
  // with an even i among the first ten), which are never adjacent.
  Create("original", 100, "States.TaskFailed");
  std::vector<std::string> matching;
  for (int i = 0; i < 12; ++i) {
    const bool match = i % 2 == 0 && i < 10;
    const std::string name = (match ? "hit-" : "miss-") + std::to_string(i);
    Create(name, match ? 1000 + i : (i < 10 ? 500 : 5000), match ? "States.TaskFailed" : "",
           match ? "original" : "");
    if (match) matching.insert(matching.begin(), name);
  }
  ASSERT_EQ(matching.size(), 5u);
  std::vector<std::pair<std::string, ExecutionFilter>> filters(5);
  filters[0].first = "name_prefix";
  filters[0].second.name_prefix = "hit-";
  filters[1].first = "error";
  filters[1].second.error = "States.TaskFailed";
  filters[1].second.started_after_ms = 1000;  // not "original"
  filters[2].first = "restarted_from";
  filters[2].second.restarted_from = ExecutionArn("m", "original");
  filters[3].first = "start time";
  filters[3].second.started_after_ms = 1000;
  filters[3].second.started_before_ms = 2000;
  filters[4].first = "all of them";
  filters[4].second = filters[3].second;
  filters[4].second.name_prefix = "hit-";
  filters[4].second.error = "States.TaskFailed";
  filters[4].second.restarted_from = ExecutionArn("m", "original");
  filters[4].second.state_machine_arn = MachineArn("m");
  for (const auto& [label, filter] : filters) {
    std::vector<size_t> sizes;
    EXPECT_THAT(ListByPages(filter, 2, &sizes), ElementsAreArray(matching)) << label;
    EXPECT_THAT(sizes, ElementsAre(2u, 2u, 1u)) << label;
  }
}

TEST_P(ExecutionFilterContract, APageTokenCarriesThePositionNotTheFilter) {
  for (int i = 0; i < 6; ++i) Create((i % 2 ? "odd-" : "even-") + std::to_string(i), 1000 + i);
  // Newest first: odd-5, even-4, odd-3, even-2, odd-1, even-0.
  StatusOr<Page<ExecutionRecord>> first = store_->ListExecutions({}, {2, ""});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_THAT(Names(*first), ElementsAre("odd-5", "even-4"));
  // Another filter with that token continues after even-4 under its own
  // conditions.
  ExecutionFilter odd;
  odd.name_prefix = "odd-";
  StatusOr<Page<ExecutionRecord>> rest = store_->ListExecutions(odd, {10, first->next_token});
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_THAT(Names(*rest), ElementsAre("odd-3", "odd-1"));
  EXPECT_EQ(rest->next_token, "");
  // A token of another listing is still refused.
  for (const char* name : {"a1", "a2"}) {
    ASSERT_EQ(
        store_->CreateActivity(
            {std::string("arn:aws:states:us-east-1:123456789012:activity:") + name, name, "{}", 1},
            {}),
        Status::OK());
  }
  StatusOr<Page<ActivityRecord>> activities = store_->ListActivities({1, ""});
  ASSERT_TRUE(activities.ok()) << activities.status();
  ASSERT_NE(activities->next_token, "");
  EXPECT_EQ(store_->ListExecutions(odd, {1, activities->next_token}).status(),
            InvalidArgumentError("ListExecutions: invalid pagination token '" +
                                 activities->next_token + "'"));
}

INSTANTIATE_TEST_SUITE_P(AllStores, ExecutionFilterContract,
                         ::testing::ValuesIn(testing::StoreImplementations()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace stepd::store
