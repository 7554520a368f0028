// Rules shared by every Store implementation: page sizes and tokens, the
// event-id continuity check behind CommitTransition's exactly-once promise.

#include "../../src/store/store_checks.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace stepd::store::internal {
namespace {

TEST(PageSize, DefaultsToOneHundredAndRefusesOutOfRange) {
  EXPECT_EQ(PageSize("Op", PageRequest{}).value(), 100);
  EXPECT_EQ(PageSize("Op", PageRequest{1000, ""}).value(), 1000);
  EXPECT_EQ(PageSize("Op", PageRequest{-1, ""}).status(),
            InvalidArgumentError("Op: max_results must be between 1 and 1000, got -1"));
}

TEST(PageToken, RoundTripsAndRefusesForeignOrMalformedTokens) {
  const std::string token = EncodePageToken(TokenKind::kExecutions, 42);
  PagePosition position = DecodePageToken("Op", TokenKind::kExecutions, {0, token}).value();
  EXPECT_TRUE(position.has_position);
  EXPECT_EQ(position.position, 42);
  EXPECT_FALSE(DecodePageToken("Op", TokenKind::kExecutions, {}).value().has_position);
  for (std::string bad : {token.substr(0, 2), std::string("e.-1"), std::string("e.12x"),
                          std::string("e.99999999999999999999"), std::string("x")}) {
    EXPECT_EQ(DecodePageToken("Op", TokenKind::kExecutions, {0, bad}).status(),
              InvalidArgumentError("Op: invalid pagination token '" + bad + "'"));
  }
  EXPECT_FALSE(DecodePageToken("Op", TokenKind::kHistory, {0, token}).ok());
}

TEST(NamePageToken, RoundTripsAnyNameAndRefusesForeignOrMalformedTokens) {
  for (std::string name : {std::string("prod"), std::string("a.b:c d"), std::string("\xff\x01")}) {
    const std::string token = EncodeNamePageToken(TokenKind::kAliases, name);
    EXPECT_EQ(DecodeNamePageToken("Op", TokenKind::kAliases, {0, token}).value(), name);
  }
  EXPECT_EQ(DecodeNamePageToken("Op", TokenKind::kAliases, {}).value(), "");
  const std::string token = EncodeNamePageToken(TokenKind::kAliases, "prod");
  for (std::string bad : {std::string("n."), token.substr(0, token.size() - 1), std::string("n.7x"),
                          std::string("n.7G"), std::string("v.70")}) {
    EXPECT_EQ(DecodeNamePageToken("Op", TokenKind::kAliases, {0, bad}).status(),
              InvalidArgumentError("Op: invalid pagination token '" + bad + "'"));
  }
  EXPECT_FALSE(DecodePageToken("Op", TokenKind::kVersions, {0, token}).ok());
}

TEST(TimeIdPageToken, RoundTripsAnyTimeAndIdAndRefusesForeignOrMalformedTokens) {
  for (const auto& [time_ms, id] : std::vector<std::pair<int64_t, std::string>>{
           {0, "dlv-1"}, {1700000000000, "a.b:c d"}, {-5, "\xff"}, {INT64_MAX, "x"}}) {
    const std::string token = EncodeTimeIdPageToken(TokenKind::kLookerDeliveries, time_ms, id);
    TimeIdPosition got =
        DecodeTimeIdPageToken("Op", TokenKind::kLookerDeliveries, {0, token}).value();
    EXPECT_TRUE(got.has_position);
    EXPECT_EQ(got.time_ms, time_ms);
    EXPECT_EQ(got.id, id);
  }
  EXPECT_FALSE(DecodeTimeIdPageToken("Op", TokenKind::kLookerDeliveries, {}).value().has_position);
  EXPECT_EQ(EncodeTimeIdPageToken(TokenKind::kLookerDeliveries, 12, "ab"), "l.12.6162");
  for (std::string bad :
       {std::string("l."), std::string("l.12"), std::string("l.12."), std::string("l..6162"),
        std::string("l.1x.6162"), std::string("l.12.616"), std::string("l.12.61g2"),
        std::string("l.99999999999999999999.61"), std::string("c.12.6162")}) {
    EXPECT_EQ(DecodeTimeIdPageToken("Op", TokenKind::kLookerDeliveries, {0, bad}).status(),
              InvalidArgumentError("Op: invalid pagination token '" + bad + "'"));
  }
}

TEST(TaskPageToken, RoundTripsTheLastTasksKeyAndRefusesForeignOrMalformedTokens) {
  ActivityTaskRecord last;
  last.created_at_ms = 1700000000000;
  last.execution_arn = "arn:aws:states:us-east-1:1:execution:m:a:b";  // ':' inside
  last.task_id = 12;
  const std::string token = EncodeTaskPageToken(last);
  TaskPosition got = DecodeTaskPageToken("Op", {0, token}).value();
  EXPECT_TRUE(got.has_position);
  EXPECT_EQ(got.created_at_ms, last.created_at_ms);
  EXPECT_EQ(got.execution_arn, last.execution_arn);
  EXPECT_EQ(got.task_id, 12);
  EXPECT_FALSE(DecodeTaskPageToken("Op", {}).value().has_position);
  // "<time>.<hex of '<task id>:<execution arn>'>".
  ActivityTaskRecord short_key;
  short_key.execution_arn = "e";
  short_key.task_id = 7;
  EXPECT_EQ(EncodeTaskPageToken(short_key), "k.0.373a65");
  for (std::string bad :
       {std::string("k.0.3765"),      // "7e": no ':'
        std::string("k.0.3a65"),      // ":e": no task id
        std::string("k.0.783a65"),    // "x:e"
        std::string("k.0.37783a65"),  // "7x:e"
        std::string("k.0.37"), std::string("k.0"), std::string("l.0.373a65"), std::string("e.5")}) {
    EXPECT_EQ(DecodeTaskPageToken("Op", {0, bad}).status(),
              InvalidArgumentError("Op: invalid pagination token '" + bad + "'"));
  }
}

TEST(TaskIsAfter, OrdersByCreationThenExecutionThenTaskIdAsANumber) {
  const TaskPosition at{true, 100, "arn:e1", 9};
  auto task = [](int64_t created, std::string execution, int64_t id) {
    ActivityTaskRecord t;
    t.created_at_ms = created;
    t.execution_arn = std::move(execution);
    t.task_id = id;
    return t;
  };
  EXPECT_TRUE(TaskIsAfter(at, task(101, "arn:e0", 0)));
  EXPECT_TRUE(TaskIsAfter(at, task(100, "arn:e2", 1)));
  EXPECT_TRUE(TaskIsAfter(at, task(100, "arn:e1", 10)));
  EXPECT_FALSE(TaskIsAfter(at, task(100, "arn:e1", 9)));
  EXPECT_FALSE(TaskIsAfter(at, task(100, "arn:e0", 99)));
  EXPECT_FALSE(TaskIsAfter(at, task(99, "arn:e9", 99)));
  EXPECT_TRUE(TaskIsAfter(TaskPosition{}, task(0, "", 0)));
}

TEST(SelectedTaskStates, AreThePendingOnesUnlessNamedThenEachOnceInOrder) {
  using S = ActivityTaskState;
  EXPECT_EQ(SelectedTaskStates({}), (std::vector{S::kQueued, S::kStarted}));
  ActivityTaskFilter filter;
  filter.states = {S::kClosed, S::kQueued, S::kClosed};
  EXPECT_EQ(SelectedTaskStates(filter), (std::vector{S::kQueued, S::kClosed}));
  ActivityTaskRecord task;
  task.state = S::kClosed;
  EXPECT_TRUE(ActivityTaskMatches(filter, task));
  task.state = S::kStarted;
  EXPECT_FALSE(ActivityTaskMatches(filter, task));
  EXPECT_TRUE(ActivityTaskMatches({}, task));
  filter = {};
  filter.activity_arn = "arn:a";
  task.activity_arn = "arn:b";
  EXPECT_FALSE(ActivityTaskMatches(filter, task));
  task.activity_arn = "arn:a";
  filter.execution_arn = "arn:e";
  EXPECT_FALSE(ActivityTaskMatches(filter, task));
  task.execution_arn = "arn:e";
  EXPECT_TRUE(ActivityTaskMatches(filter, task));
}

TEST(CheckTransitionEvents, AcceptsOnlyTheNextIdAndTellsARetryFromAGap) {
  Transition t;
  t.execution_arn = "arn:e";
  t.events = {HistoryEventRecord{5, 4, "T", 0, "{}"}};
  EXPECT_EQ(CheckTransitionEvents(t, 4), Status::OK());
  EXPECT_EQ(CheckTransitionEvents(t, 5).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(CheckTransitionEvents(t, 9).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(CheckTransitionEvents(t, 3),
            FailedPreconditionError("CommitTransition: execution 'arn:e' continues at event id "
                                    "4, got 5"));
  t.events.clear();
  EXPECT_EQ(CheckTransitionEvents(t, 3), Status::OK());
}

TEST(ValidateTransition, RefusesEventsWithoutType) {
  Transition t;
  t.execution_arn = "arn:e";
  t.events = {HistoryEventRecord{1, 0, "", 0, "{}"}};
  EXPECT_EQ(ValidateTransition(t), InvalidArgumentError("CommitTransition: event 1 has no type"));
}

}  // namespace
}  // namespace stepd::store::internal
