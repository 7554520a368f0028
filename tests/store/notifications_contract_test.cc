// The notifications part of the Store contract, run against every
// implementation: the notifier's cursor moves with the outbox rows it
// queues (one transaction), transition rows are read after a seq, due rows
// come earliest first, attempts and retries of dead letters, listings newest
// first with filters and pages, and stored sinks and rules.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "stepd/store/store.h"
#include "store/store_testing.h"

namespace stepd::store {
namespace {

using testing::Audit;
using ::testing::ElementsAre;
using testing::Event;
using testing::ExecutionArn;
using testing::StoreFactory;
using testing::TempDir;

NotificationRecord Item(const std::string& execution_arn, int64_t next_attempt_ms,
                        const std::string& sink = "ops") {
  NotificationRecord n;
  n.audit_seq = 3;
  n.rule = "failures";
  n.sink = sink;
  n.sink_type = "slack";
  n.kind = "message";
  n.outcome = "FAILED";
  n.execution_arn = execution_arn;
  n.event_json = R"({"error":"E"})";
  n.created_ms = 1000;
  n.next_attempt_ms = next_attempt_ms;
  n.updated_ms = 1000;
  return n;
}

std::vector<int64_t> Ids(const std::vector<NotificationRecord>& items) {
  std::vector<int64_t> ids;
  for (const NotificationRecord& n : items) ids.push_back(n.id);
  return ids;
}

class NotificationContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
  }

  std::vector<int64_t> Enqueue(int64_t cursor, const std::vector<NotificationRecord>& items) {
    auto ids = store_->EnqueueNotifications(cursor, items);
    EXPECT_TRUE(ids.ok()) << ids.status();
    return ids.ok() ? *ids : std::vector<int64_t>{};
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(NotificationContract, TheCursorIsUnsetUntilTheFirstEnqueueThenMovesOnlyForward) {
  EXPECT_EQ(store_->GetNotificationCursor().value(), std::nullopt);
  Enqueue(5, {});
  EXPECT_EQ(store_->GetNotificationCursor().value(), 5);
  EXPECT_THAT(Enqueue(9, {Item("arn:e1", 100)}), ElementsAre(1));
  EXPECT_EQ(store_->GetNotificationCursor().value(), 9);
  EXPECT_EQ(
      store_->EnqueueNotifications(4, {Item("arn:e2", 100)}).status(),
      FailedPreconditionError("EnqueueNotifications: the cursor is at 9, not moving back to 4"));
  // Refused whole: no row of it was written.
  EXPECT_EQ(store_->CountNotifications(NotificationStatus::kPending).value(), 1);
}

TEST_P(NotificationContract, AnItemWithoutItsSinkIsRefusedAndTheCursorStays) {
  NotificationRecord bad = Item("arn:e1", 100);
  bad.sink.clear();
  EXPECT_EQ(store_->EnqueueNotifications(3, {bad}).status(),
            InvalidArgumentError("EnqueueNotifications: notification sink is empty"));
  EXPECT_EQ(store_->GetNotificationCursor().value(), std::nullopt);
}

TEST_P(NotificationContract, TransitionRowsAfterASeqAreListedByAction) {
  ASSERT_TRUE(store_->CreateStateMachine(testing::Machine("m"), {}).ok());
  ASSERT_TRUE(store_->CreateExecution(testing::Execution("m", "e"), {}).ok());
  const std::string arn = ExecutionArn("m", "e");
  ASSERT_TRUE(store_->AppendAudit({Audit("StartExecution", arn)}).ok());  // seq 1, no event
  Transition t;
  t.execution_arn = arn;
  t.events = {Event(1, "ExecutionStarted"), Event(2, "PassStateEntered"),
              Event(3, "ExecutionFailed")};
  for (int64_t id = 1; id <= 3; ++id) {
    AuditEntry a = Audit(t.events[id - 1].type, arn);
    a.event_id = id;
    t.audit.push_back(a);
  }
  ASSERT_TRUE(store_->CommitTransition(t).ok());  // seq 2, 3, 4
  auto rows =
      store_->ListAuditTransitionsAfter(0, {"ExecutionFailed", "ExecutionStarted"}, 10).value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].seq, 2);
  EXPECT_EQ(rows[0].entry.action, "ExecutionStarted");
  EXPECT_EQ(rows[1].seq, 4);
  EXPECT_EQ(rows[1].entry.target, arn);
  EXPECT_EQ(rows[1].entry.event_id, 3);
  EXPECT_THAT(store_->ListAuditTransitionsAfter(2, {"ExecutionFailed", "ExecutionStarted"}, 10)
                  .value()
                  .size(),
              1u);
  EXPECT_EQ(store_->ListAuditTransitionsAfter(0, {"ExecutionFailed", "ExecutionStarted"}, 1)
                .value()
                .size(),
            1u);
  EXPECT_EQ(store_->ListAuditTransitionsAfter(0, {"ExecutionFailed"}, 0).status(),
            InvalidArgumentError("ListAuditTransitionsAfter: limit 0 is out of range 1..1000"));
}

TEST_P(NotificationContract, DueItemsComeEarliestFirstAndOnlyWhenPending) {
  Enqueue(1, {Item("arn:e1", 300), Item("arn:e2", 100), Item("arn:e3", 900)});
  EXPECT_THAT(Ids(store_->ListDueNotifications(500, 10).value()), ElementsAre(2, 1));
  EXPECT_THAT(Ids(store_->ListDueNotifications(500, 1).value()), ElementsAre(2));
  NotificationAttempt delivered{NotificationStatus::kDelivered, 1, 100, 550, ""};
  ASSERT_TRUE(store_->RecordNotificationAttempt(2, delivered).ok());
  EXPECT_THAT(Ids(store_->ListDueNotifications(1000, 10).value()), ElementsAre(1, 3));
}

TEST_P(NotificationContract, AttemptsAreRecordedUntilTheItemLeavesPending) {
  Enqueue(1, {Item("arn:e1", 100)});
  ASSERT_TRUE(store_
                  ->RecordNotificationAttempt(1, NotificationAttempt{NotificationStatus::kPending,
                                                                     1, 2100, 1100, "HTTP 500"})
                  .ok());
  NotificationRecord n = store_->GetNotification(1).value();
  EXPECT_EQ(n.status, NotificationStatus::kPending);
  EXPECT_EQ(n.attempts, 1);
  EXPECT_EQ(n.next_attempt_ms, 2100);
  EXPECT_EQ(n.updated_ms, 1100);
  EXPECT_EQ(n.last_error, "HTTP 500");
  ASSERT_TRUE(store_
                  ->RecordNotificationAttempt(
                      1, NotificationAttempt{NotificationStatus::kDelivered, 2, 2100, 2200, ""})
                  .ok());
  n = store_->GetNotification(1).value();
  EXPECT_EQ(n.status, NotificationStatus::kDelivered);
  EXPECT_EQ(n.delivered_ms, 2200);
  EXPECT_EQ(n.last_error, "HTTP 500");  // kept: what happened before it went through
  EXPECT_EQ(store_->RecordNotificationAttempt(
                1, NotificationAttempt{NotificationStatus::kPending, 3, 0, 0, ""}),
            FailedPreconditionError(
                "RecordNotificationAttempt: notification 1 is DELIVERED, not PENDING"));
  EXPECT_EQ(store_->RecordNotificationAttempt(7, {}),
            NotFoundError("RecordNotificationAttempt: notification 7 does not exist"));
}

TEST_P(NotificationContract, ADeadLetterRetriedIsPendingAgainWithItsAuditRow) {
  Enqueue(1, {Item("arn:e1", 100)});
  EXPECT_EQ(
      store_->RetryNotification(1, 5000, {}).status(),
      FailedPreconditionError("RetryNotification: notification 1 is PENDING, not DEAD_LETTER"));
  ASSERT_TRUE(
      store_
          ->RecordNotificationAttempt(
              1, NotificationAttempt{NotificationStatus::kDeadLetter, 8, 100, 4000, "HTTP 400"})
          .ok());
  const int64_t head = store_->GetAuditHead().value().seq;
  NotificationRecord retried =
      store_->RetryNotification(1, 5000, {Audit("RetryNotification", "notification/1")}).value();
  EXPECT_EQ(retried.status, NotificationStatus::kPending);
  EXPECT_EQ(retried.attempts, 0);
  EXPECT_EQ(retried.next_attempt_ms, 5000);
  EXPECT_EQ(retried.last_error, "HTTP 400");
  EXPECT_EQ(store_->GetNotification(1).value(), retried);
  EXPECT_EQ(store_->GetAuditHead().value().seq, head + 1);
  EXPECT_EQ(store_->RetryNotification(2, 5000, {}).status(),
            NotFoundError("RetryNotification: notification 2 does not exist"));
}

TEST_P(NotificationContract, ListingIsNewestFirstWithFiltersAndPages) {
  Enqueue(1, {Item("arn:e1", 100), Item("arn:e2", 100, "pager"), Item("arn:e1", 100)});
  ASSERT_TRUE(
      store_
          ->RecordNotificationAttempt(
              1, NotificationAttempt{NotificationStatus::kDeadLetter, 1, 100, 200, "HTTP 404"})
          .ok());
  EXPECT_THAT(Ids(store_->ListNotifications({}, {}).value().items), ElementsAre(3, 2, 1));
  NotificationFilter by_execution;
  by_execution.execution_arn = "arn:e1";
  EXPECT_THAT(Ids(store_->ListNotifications(by_execution, {}).value().items), ElementsAre(3, 1));
  NotificationFilter dead;
  dead.status = NotificationStatus::kDeadLetter;
  EXPECT_THAT(Ids(store_->ListNotifications(dead, {}).value().items), ElementsAre(1));
  NotificationFilter by_sink;
  by_sink.sink = "pager";
  EXPECT_THAT(Ids(store_->ListNotifications(by_sink, {}).value().items), ElementsAre(2));

  Page<NotificationRecord> first = store_->ListNotifications({}, PageRequest{2, ""}).value();
  EXPECT_THAT(Ids(first.items), ElementsAre(3, 2));
  ASSERT_FALSE(first.next_token.empty());
  Page<NotificationRecord> second =
      store_->ListNotifications({}, PageRequest{2, first.next_token}).value();
  EXPECT_THAT(Ids(second.items), ElementsAre(1));
  EXPECT_TRUE(second.next_token.empty());
  EXPECT_EQ(store_->ListNotifications({}, PageRequest{2, "bogus"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CountNotifications(NotificationStatus::kPending).value(), 2);
  EXPECT_EQ(store_->CountNotifications(NotificationStatus::kDeadLetter).value(), 1);
  EXPECT_EQ(store_->GetNotification(2).value().sink, "pager");
}

TEST_P(NotificationContract, SinksAreCreatedReplacedListedAndDeletedWithAuditRows) {
  const int64_t head = store_->GetAuditHead().value().seq;
  NotificationSinkRecord sink{"ops", "slack", "{}", std::string("\x01sealed\x00", 8), 1000, 1000};
  EXPECT_TRUE(store_->PutNotificationSink(sink, {Audit("PutNotificationSink", "ops")}).value());
  NotificationSinkRecord replaced = sink;
  replaced.sealed_secrets = "other";
  replaced.created_ms = 2000;
  replaced.updated_ms = 2000;
  EXPECT_FALSE(store_->PutNotificationSink(replaced, {}).value());
  auto sinks = store_->ListNotificationSinks().value();
  ASSERT_EQ(sinks.size(), 1u);
  EXPECT_EQ(sinks[0].sealed_secrets, "other");
  EXPECT_EQ(sinks[0].created_ms, 1000);  // kept from the first put
  EXPECT_EQ(sinks[0].updated_ms, 2000);
  EXPECT_EQ(store_->GetAuditHead().value().seq, head + 1);

  NotificationRuleRecord rule{"failures", "ops", {"nightly-*"}, {"FAILED", "TIMED_OUT"},
                              1000,       1000};
  EXPECT_TRUE(store_->PutNotificationRule(rule, {}).value());
  EXPECT_THAT(store_->ListNotificationRules().value(), ElementsAre(rule));
  EXPECT_EQ(store_->DeleteNotificationSink("ops", {}),
            FailedPreconditionError("DeleteNotificationSink: rules [failures] use sink 'ops'"));
  ASSERT_TRUE(store_->DeleteNotificationRule("failures", {}).ok());
  EXPECT_EQ(store_->DeleteNotificationRule("failures", {}),
            NotFoundError("DeleteNotificationRule: rule 'failures' does not exist"));
  ASSERT_TRUE(store_->DeleteNotificationSink("ops", {Audit("DeleteNotificationSink", "ops")}).ok());
  EXPECT_TRUE(store_->ListNotificationSinks().value().empty());
  EXPECT_EQ(store_->DeleteNotificationSink("ops", {}),
            NotFoundError("DeleteNotificationSink: sink 'ops' does not exist"));
  EXPECT_EQ(store_->PutNotificationRule(NotificationRuleRecord{"r", "", {}, {}, 0, 0}, {}).status(),
            InvalidArgumentError("PutNotificationRule: rule sink is empty"));
}

INSTANTIATE_TEST_SUITE_P(AllStores, NotificationContract,
                         ::testing::ValuesIn(testing::StoreImplementations()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace stepd::store
