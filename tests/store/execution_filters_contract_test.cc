// The operators' execution listings, part of the Store contract, run against
// every implementation: executions found by start time, name prefix, error
// and the execution they were restarted from, each condition alone and
// combined with the others, page after page; restarted_from kept however an
// execution is created; and the same filters counted by machine and status.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>
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
  // PostgreSQL holds UTF-8 text only: the bytes past it are SQLite's and
  // MemStore's to hold (the API never hands the store anything else).
  const bool utf8_only = GetParam().name == "Postgres";
  for (const char* name : {"run-1", "Run-2", "runner", "run_x", "run%", "rum", "run-3", "re-run-4",
                           "\xc3\xa9t\xc3\xa9", "\xc3\xaate", "\xff\xff-z", "\xfe",
                           "\xf4\x8f\xbf\xbf-z"}) {
    if (utf8_only && (name[0] == '\xff' || name[0] == '\xfe')) continue;
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
  // The largest code point has no successor of its length.
  EXPECT_THAT(with_prefix("\xf4\x8f\xbf\xbf"), ElementsAre("\xf4\x8f\xbf\xbf-z"));
  EXPECT_THAT(with_prefix("x"), IsEmpty());
  if (utf8_only) return;
  EXPECT_THAT(with_prefix("\xc3"), ElementsAre("\xc3\xaate", "\xc3\xa9t\xc3\xa9"));
  // A prefix of 0xff bytes has no upper bound to compare with.
  EXPECT_THAT(with_prefix("\xff"), ElementsAre("\xff\xff-z"));
  EXPECT_THAT(with_prefix("\xff\xff"), ElementsAre("\xff\xff-z"));
  EXPECT_THAT(with_prefix("\xfe"), ElementsAre("\xfe"));
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

// --- CountExecutions ------------------------------------------------------------

// `n` executions of `machine` named "<prefix><i>" in `status`, the i-th
// started at start_ms + i, each failed one with `error`.
std::vector<ExecutionRecord> Executions(const std::string& machine, const std::string& prefix,
                                        int n, ExecutionStatus status, int64_t start_ms,
                                        const std::string& error = "") {
  std::vector<ExecutionRecord> out;
  for (int i = 0; i < n; ++i) {
    ExecutionRecord e = Execution(machine, prefix + std::to_string(i), start_ms + i);
    e.status = status;
    if (status != ExecutionStatus::kRunning) e.stop_time_ms = start_ms + i + 1;
    if (!error.empty()) e.error = error;
    out.push_back(std::move(e));
  }
  return out;
}

// What ListExecutions lists for `filter`, counted as CountExecutions counts.
std::vector<ExecutionCount> CountOfListed(Store& store, const ExecutionFilter& filter) {
  std::map<std::pair<std::string, ExecutionStatus>, int64_t> counted;
  PageRequest request{1000, ""};
  while (true) {
    StatusOr<Page<ExecutionRecord>> page = store.ListExecutions(filter, request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    for (const ExecutionRecord& e : page->items) ++counted[{e.state_machine_arn, e.status}];
    if (page->next_token.empty()) break;
    request.next_token = page->next_token;
  }
  std::vector<ExecutionCount> out;
  for (const auto& [key, n] : counted) out.push_back({key.first, key.second, n});
  return out;
}

class ExecutionCountContract : public ExecutionFilterContract {
 protected:
  void SetUp() override {
    ExecutionFilterContract::SetUp();
    ASSERT_EQ(store_->CreateStateMachine(Machine("n"), {}), Status::OK());
  }

  void CreateAll(const std::vector<ExecutionRecord>& executions) {
    for (const ExecutionRecord& e : executions) {
      ASSERT_EQ(store_->CreateExecution(e, {}), Status::OK()) << e.name;
    }
  }

  std::vector<ExecutionCount> Count(const ExecutionFilter& filter) {
    StatusOr<std::vector<ExecutionCount>> counts = store_->CountExecutions(filter);
    EXPECT_TRUE(counts.ok()) << counts.status();
    return counts.ok() ? *counts : std::vector<ExecutionCount>{};
  }
};

TEST_P(ExecutionCountContract, CountsAreByMachineThenStatusWithOnlyTheStatusesThatOccur) {
  CreateAll(Executions("n", "run-", 2, ExecutionStatus::kRunning, 1000));
  CreateAll(Executions("m", "ok-", 3, ExecutionStatus::kSucceeded, 1100));
  CreateAll(Executions("m", "bad-", 2, ExecutionStatus::kFailed, 1200, "States.TaskFailed"));
  CreateAll(Executions("m", "run-", 1, ExecutionStatus::kRunning, 1300));
  CreateAll(Executions("m", "late-", 1, ExecutionStatus::kPendingRedrive, 1400, "Boom"));
  CreateAll(Executions("n", "stop-", 4, ExecutionStatus::kAborted, 1500));
  CreateAll(Executions("n", "slow-", 1, ExecutionStatus::kTimedOut, 1600, "States.Timeout"));
  EXPECT_THAT(Count({}),
              ElementsAre(ExecutionCount{MachineArn("m"), ExecutionStatus::kRunning, 1},
                          ExecutionCount{MachineArn("m"), ExecutionStatus::kSucceeded, 3},
                          ExecutionCount{MachineArn("m"), ExecutionStatus::kFailed, 2},
                          ExecutionCount{MachineArn("m"), ExecutionStatus::kPendingRedrive, 1},
                          ExecutionCount{MachineArn("n"), ExecutionStatus::kRunning, 2},
                          ExecutionCount{MachineArn("n"), ExecutionStatus::kTimedOut, 1},
                          ExecutionCount{MachineArn("n"), ExecutionStatus::kAborted, 4}));
  ExecutionFilter of_n;
  of_n.state_machine_arn = MachineArn("n");
  EXPECT_THAT(Count(of_n),
              ElementsAre(ExecutionCount{MachineArn("n"), ExecutionStatus::kRunning, 2},
                          ExecutionCount{MachineArn("n"), ExecutionStatus::kTimedOut, 1},
                          ExecutionCount{MachineArn("n"), ExecutionStatus::kAborted, 4}));
  // A status filter counts that status only.
  of_n.status = ExecutionStatus::kAborted;
  EXPECT_THAT(Count(of_n),
              ElementsAre(ExecutionCount{MachineArn("n"), ExecutionStatus::kAborted, 4}));
  // Nothing selected: no rows, not rows of 0.
  ExecutionFilter none;
  none.name_prefix = "nothing-";
  EXPECT_THAT(Count(none), IsEmpty());
  ASSERT_EQ(store_->CreateStateMachine(Machine("empty"), {}), Status::OK());
  none = {};
  none.state_machine_arn = MachineArn("empty");
  EXPECT_THAT(Count(none), IsEmpty());
}

TEST_P(ExecutionCountContract, CountsWhatTheListListsForEachFilter) {
  CreateAll(Executions("m", "nightly-", 5, ExecutionStatus::kSucceeded, 1000));
  CreateAll(Executions("m", "nightly-f", 3, ExecutionStatus::kFailed, 1100, "States.TaskFailed"));
  CreateAll(Executions("m", "adhoc-", 2, ExecutionStatus::kFailed, 1200, "States.Timeout"));
  CreateAll(Executions("m", "adhoc-r", 2, ExecutionStatus::kRunning, 1300));
  CreateAll(Executions("n", "nightly-", 4, ExecutionStatus::kFailed, 1050, "States.TaskFailed"));
  CreateAll(Executions("n", "other-", 3, ExecutionStatus::kAborted, 1250));
  std::vector<ExecutionRecord> versioned =
      Executions("m", "v-", 2, ExecutionStatus::kRunning, 1400);
  for (ExecutionRecord& e : versioned) {
    e.state_machine_version = 1;
    e.state_machine_alias = "live";
  }
  CreateAll(versioned);
  ExecutionRecord redriven = Execution("n", "redriven", 1500);
  redriven.redrive_count = 1;
  CreateAll({redriven});

  std::vector<std::pair<std::string, ExecutionFilter>> filters(11);
  filters[0].first = "nothing";
  filters[1].first = "state_machine_arn";
  filters[1].second.state_machine_arn = MachineArn("m");
  filters[2].first = "started_after_ms";
  filters[2].second.started_after_ms = 1102;
  filters[3].first = "started_before_ms";
  filters[3].second.started_before_ms = 1202;
  filters[4].first = "a time range";
  filters[4].second.started_after_ms = 1050;
  filters[4].second.started_before_ms = 1251;
  filters[5].first = "name_prefix";
  filters[5].second.name_prefix = "nightly-f";
  filters[6].first = "error";
  filters[6].second.error = "States.TaskFailed";
  filters[7].first = "all of them";
  filters[7].second.state_machine_arn = MachineArn("n");
  filters[7].second.started_after_ms = 1051;
  filters[7].second.started_before_ms = 1053;
  filters[7].second.name_prefix = "nightly-";
  filters[7].second.error = "States.TaskFailed";
  filters[8].first = "version";
  filters[8].second.state_machine_arn = MachineArn("m");
  filters[8].second.version = 1;
  filters[9].first = "alias";
  filters[9].second.state_machine_arn = MachineArn("m");
  filters[9].second.alias = "live";
  filters[10].first = "redriven";
  filters[10].second.redriven = true;
  const std::vector<int64_t> expected_totals = {22, 14, 11, 14, 10, 3, 7, 2, 2, 2, 1};
  for (size_t i = 0; i < filters.size(); ++i) {
    const auto& [label, filter] = filters[i];
    std::vector<ExecutionCount> counts = Count(filter);
    EXPECT_EQ(counts, CountOfListed(*store_, filter)) << label;
    int64_t total = 0;
    for (const ExecutionCount& c : counts) total += c.count;
    EXPECT_EQ(total, expected_totals[i]) << label;
  }
}

TEST_P(ExecutionCountContract, AMapRunsChildrenAreCountedOnlyWhenTheFilterNamesTheirMapRun) {
  CreateAll(Executions("m", "top-", 2, ExecutionStatus::kRunning, 1000));
  const std::string map_run = "arn:aws:states:us-east-1:123456789012:mapRun:m/Fan:run-1";
  std::vector<ExecutionRecord> children =
      Executions("m", "child-", 3, ExecutionStatus::kSucceeded, 1100);
  children.push_back(Execution("m", "child-running", 1200));
  for (ExecutionRecord& child : children) {
    child.parent_arn = ExecutionArn("m", "top-0");
    child.map_run_arn = map_run;
  }
  CreateAll(children);
  // As the list: top-level executions only.
  EXPECT_THAT(Count({}),
              ElementsAre(ExecutionCount{MachineArn("m"), ExecutionStatus::kRunning, 2}));
  ExecutionFilter of_m;
  of_m.state_machine_arn = MachineArn("m");
  EXPECT_THAT(Count(of_m),
              ElementsAre(ExecutionCount{MachineArn("m"), ExecutionStatus::kRunning, 2}));
  ExecutionFilter of_run;
  of_run.map_run_arn = map_run;
  EXPECT_THAT(Count(of_run),
              ElementsAre(ExecutionCount{MachineArn("m"), ExecutionStatus::kRunning, 1},
                          ExecutionCount{MachineArn("m"), ExecutionStatus::kSucceeded, 3}));
  EXPECT_EQ(Count(of_run), CountOfListed(*store_, of_run));
  of_run.name_prefix = "child-r";
  EXPECT_THAT(Count(of_run),
              ElementsAre(ExecutionCount{MachineArn("m"), ExecutionStatus::kRunning, 1}));
}

TEST_P(ExecutionCountContract, CountsFollowTransitionsAndRefuseWhatTheListRefuses) {
  CreateAll(Executions("m", "run-", 2, ExecutionStatus::kRunning, 1000));
  Transition fail;
  fail.execution_arn = ExecutionArn("m", "run-1");
  fail.update.status = ExecutionStatus::kFailed;
  fail.update.error = "States.TaskFailed";
  ASSERT_TRUE(store_->CommitTransition(fail).ok());
  EXPECT_THAT(Count({}), ElementsAre(ExecutionCount{MachineArn("m"), ExecutionStatus::kRunning, 1},
                                     ExecutionCount{MachineArn("m"), ExecutionStatus::kFailed, 1}));

  ExecutionFilter ghost;
  ghost.state_machine_arn = MachineArn("ghost");
  EXPECT_EQ(
      store_->CountExecutions(ghost).status(),
      NotFoundError("CountExecutions: state machine '" + MachineArn("ghost") + "' does not exist"));
  ExecutionFilter version_alone;
  version_alone.version = 1;
  EXPECT_EQ(
      store_->CountExecutions(version_alone).status(),
      InvalidArgumentError("CountExecutions: a version or alias filter needs a state machine arn"));
  ExecutionFilter alias_alone;
  alias_alone.alias = "live";
  EXPECT_EQ(store_->CountExecutions(alias_alone).status().code(), StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(AllStores, ExecutionCountContract,
                         ::testing::ValuesIn(testing::StoreImplementations()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace stepd::store
