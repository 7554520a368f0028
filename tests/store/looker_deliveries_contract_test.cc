// The Looker Action Hub deliveries part of the Store contract, run against
// every implementation: a delivery Looker sends again is recorded as a
// duplicate of the first one (same instance, webhook id and action, within
// the window, not failed), atomically, and deliveries are listed newest
// first with filters and pages.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "stepd/store/store.h"
#include "store/store_testing.h"

namespace stepd::store {
namespace {

using ::testing::ElementsAre;
using testing::StoreFactory;
using testing::TempDir;

constexpr char kExecution[] = "arn:aws:states:us-east-1:123456789012:execution:report:run-1";

// A pending first delivery of action "report" from instance "looker.example.com".
LookerDeliveryRecord Delivery(const std::string& id, int64_t received_ms,
                              const std::string& webhook_id = "wh-1",
                              const std::string& action = "report",
                              const std::string& instance = "looker.example.com") {
  LookerDeliveryRecord d;
  d.id = id;
  d.received_ms = received_ms;
  d.action = action;
  d.instance = instance;
  d.webhook_id = webhook_id;
  d.looker_version = "24.6.12";
  d.scheduled_plan_id = "17";
  d.type = "query";
  d.principal = "hub:looker";
  d.outcome = "pending";
  return d;
}

std::vector<std::string> Ids(const Page<LookerDeliveryRecord>& page) {
  std::vector<std::string> ids;
  for (const LookerDeliveryRecord& d : page.items) ids.push_back(d.id);
  return ids;
}

class LookerDeliveryContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
  }

  // Records `d` and returns what the store answered (fails the test on error).
  RecordedDelivery Record(const LookerDeliveryRecord& d, int64_t dedup_since_ms = 0) {
    StatusOr<RecordedDelivery> recorded = store_->RecordLookerDelivery(d, dedup_since_ms);
    EXPECT_EQ(recorded.status(), Status::OK()) << d.id;
    return recorded.ok() ? std::move(recorded).value() : RecordedDelivery{};
  }

  std::vector<std::string> ListIds(const LookerDeliveryFilter& filter = {}) {
    return Ids(store_->ListLookerDeliveries(filter, {}).value());
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(LookerDeliveryContract, AFirstDeliveryIsStoredAsGivenWithEveryField) {
  LookerDeliveryRecord d = Delivery("dlv-1", 1000);
  d.execution_arn = kExecution;
  d.outcome = "started";
  d.message = "note";
  const RecordedDelivery recorded = Record(d, 0);
  EXPECT_EQ(recorded.stored, d);
  EXPECT_EQ(recorded.first, std::nullopt);
  EXPECT_EQ(store_->GetLookerDelivery("dlv-1").value(), d);
}

TEST_P(LookerDeliveryContract, ARedeliveryWithinTheWindowIsADuplicateOfTheFirst) {
  Record(Delivery("dlv-1", 1000));
  ASSERT_EQ(store_->UpdateLookerDelivery("dlv-1", "started", kExecution, ""), Status::OK());

  const RecordedDelivery again = Record(Delivery("dlv-2", 1500), /*dedup_since_ms=*/1000);
  ASSERT_TRUE(again.first.has_value());
  EXPECT_EQ(*again.first, store_->GetLookerDelivery("dlv-1").value());
  LookerDeliveryRecord expected = Delivery("dlv-2", 1500);
  expected.duplicate_of = "dlv-1";
  expected.execution_arn = kExecution;
  expected.outcome = "duplicate";
  EXPECT_EQ(again.stored, expected);
  EXPECT_EQ(store_->GetLookerDelivery("dlv-2").value(), expected);

  // A third one is a duplicate of the first, never of a duplicate.
  const RecordedDelivery third = Record(Delivery("dlv-3", 1600), 1000);
  ASSERT_TRUE(third.first.has_value());
  EXPECT_EQ(third.first->id, "dlv-1");
  EXPECT_EQ(third.stored.duplicate_of, "dlv-1");
  EXPECT_THAT(ListIds(), ElementsAre("dlv-3", "dlv-2", "dlv-1"));
}

TEST_P(LookerDeliveryContract, ADuplicateOfAPendingFirstHasNoExecutionYet) {
  Record(Delivery("dlv-1", 1000));
  const RecordedDelivery again = Record(Delivery("dlv-2", 1001), 0);
  ASSERT_TRUE(again.first.has_value());
  EXPECT_EQ(again.first->outcome, "pending");
  EXPECT_EQ(again.stored.outcome, "duplicate");
  EXPECT_EQ(again.stored.execution_arn, "");
  // Whatever the duplicate said of its execution is replaced.
  LookerDeliveryRecord claims = Delivery("dlv-3", 1002);
  claims.execution_arn = "arn:other";
  claims.outcome = "started";
  EXPECT_EQ(Record(claims, 0).stored.execution_arn, "");
}

TEST_P(LookerDeliveryContract, ARedeliveryOutsideTheWindowIsANewFirstAndTheNewestFirstCounts) {
  Record(Delivery("dlv-1", 1000));
  const RecordedDelivery late = Record(Delivery("dlv-2", 5000), /*dedup_since_ms=*/1001);
  EXPECT_EQ(late.first, std::nullopt);
  EXPECT_EQ(late.stored, Delivery("dlv-2", 5000));
  // The window's start is inclusive; of two firsts in it the newest is taken.
  const RecordedDelivery again = Record(Delivery("dlv-3", 6000), /*dedup_since_ms=*/1000);
  ASSERT_TRUE(again.first.has_value());
  EXPECT_EQ(again.first->id, "dlv-2");
  const RecordedDelivery edge = Record(Delivery("dlv-4", 6001), /*dedup_since_ms=*/5000);
  ASSERT_TRUE(edge.first.has_value());
  EXPECT_EQ(edge.first->id, "dlv-2");
}

TEST_P(LookerDeliveryContract, WithoutAWebhookIdADeliveryIsNeverADuplicate) {
  Record(Delivery("dlv-1", 1000, ""));
  const RecordedDelivery second = Record(Delivery("dlv-2", 1001, ""), 0);
  EXPECT_EQ(second.first, std::nullopt);
  EXPECT_EQ(second.stored.outcome, "pending");
  EXPECT_EQ(second.stored.duplicate_of, "");
}

TEST_P(LookerDeliveryContract, AFailedFirstDeliveryIsNotDeduplicated) {
  Record(Delivery("dlv-1", 1000));
  ASSERT_EQ(store_->UpdateLookerDelivery("dlv-1", "failed", "", "no such state machine"),
            Status::OK());
  const RecordedDelivery retry = Record(Delivery("dlv-2", 1001), 0);
  EXPECT_EQ(retry.first, std::nullopt);
  EXPECT_EQ(retry.stored.outcome, "pending");
  // The retry that went through is the first of the ones after it.
  const RecordedDelivery again = Record(Delivery("dlv-3", 1002), 0);
  ASSERT_TRUE(again.first.has_value());
  EXPECT_EQ(again.first->id, "dlv-2");
}

TEST_P(LookerDeliveryContract, ADifferentActionInstanceOrWebhookIdIsNotADuplicate) {
  Record(Delivery("dlv-1", 1000, "wh-1", "report", "a.example.com"));
  EXPECT_EQ(Record(Delivery("dlv-2", 1001, "wh-1", "report", "b.example.com")).first, std::nullopt);
  EXPECT_EQ(Record(Delivery("dlv-3", 1002, "wh-1", "export", "a.example.com")).first, std::nullopt);
  EXPECT_EQ(Record(Delivery("dlv-4", 1003, "wh-2", "report", "a.example.com")).first, std::nullopt);
  EXPECT_EQ(Record(Delivery("dlv-5", 1004, "wh-1", "report", "")).first, std::nullopt);
  // An empty instance is a value like any other.
  const RecordedDelivery again = Record(Delivery("dlv-6", 1005, "wh-1", "report", ""));
  ASSERT_TRUE(again.first.has_value());
  EXPECT_EQ(again.first->id, "dlv-5");
}

TEST_P(LookerDeliveryContract, RefusesATakenIdAndEmptyFieldsStoringNothing) {
  Record(Delivery("dlv-1", 1000));
  EXPECT_EQ(store_->RecordLookerDelivery(Delivery("dlv-1", 2000, "wh-9"), 0).status(),
            AlreadyExistsError("RecordLookerDelivery: delivery 'dlv-1' already exists"));
  // Also when it would be a duplicate.
  EXPECT_EQ(store_->RecordLookerDelivery(Delivery("dlv-1", 2000), 0).status().code(),
            StatusCode::kAlreadyExists);
  LookerDeliveryRecord d = Delivery("", 1000);
  EXPECT_EQ(store_->RecordLookerDelivery(d, 0).status(),
            InvalidArgumentError("RecordLookerDelivery: delivery id is empty"));
  d = Delivery("dlv-2", 1000, "wh-1", "");
  EXPECT_EQ(store_->RecordLookerDelivery(d, 0).status(),
            InvalidArgumentError("RecordLookerDelivery: delivery action is empty"));
  d = Delivery("dlv-2", 1000);
  d.outcome = "";
  EXPECT_EQ(store_->RecordLookerDelivery(d, 0).status(),
            InvalidArgumentError("RecordLookerDelivery: delivery outcome is empty"));
  EXPECT_THAT(ListIds(), ElementsAre("dlv-1"));
  EXPECT_EQ(store_->GetLookerDelivery("dlv-1").value(), Delivery("dlv-1", 1000));
}

TEST_P(LookerDeliveryContract, UpdateSetsOutcomeExecutionAndMessageOnly) {
  Record(Delivery("dlv-1", 1000));
  ASSERT_EQ(store_->UpdateLookerDelivery("dlv-1", "failed", kExecution, "execution failed"),
            Status::OK());
  LookerDeliveryRecord expected = Delivery("dlv-1", 1000);
  expected.outcome = "failed";
  expected.execution_arn = kExecution;
  expected.message = "execution failed";
  EXPECT_EQ(store_->GetLookerDelivery("dlv-1").value(), expected);
  ASSERT_EQ(store_->UpdateLookerDelivery("dlv-1", "started", "", ""), Status::OK());
  expected.outcome = "started";
  expected.execution_arn = "";
  expected.message = "";
  EXPECT_EQ(store_->GetLookerDelivery("dlv-1").value(), expected);

  EXPECT_EQ(store_->UpdateLookerDelivery("dlv-9", "started", kExecution, ""),
            NotFoundError("UpdateLookerDelivery: delivery 'dlv-9' does not exist"));
  EXPECT_EQ(store_->UpdateLookerDelivery("dlv-1", "", kExecution, ""),
            InvalidArgumentError("UpdateLookerDelivery: delivery outcome is empty"));
  EXPECT_EQ(store_->GetLookerDelivery("dlv-1").value(), expected);
}

TEST_P(LookerDeliveryContract, GetOfAnUnknownDeliveryIsNotFound) {
  EXPECT_EQ(store_->GetLookerDelivery("dlv-9").status(),
            NotFoundError("GetLookerDelivery: delivery 'dlv-9' does not exist"));
}

TEST_P(LookerDeliveryContract, ListsNewestFirstThenByIdAndFilters) {
  Record(Delivery("dlv-a", 1000, "wh-1", "report", "one"));
  Record(Delivery("dlv-c", 3000, "wh-2", "report", "one"));
  Record(Delivery("dlv-b", 3000, "wh-3", "export", "two"));
  Record(Delivery("dlv-d", 2000, "wh-1", "report", "one"));  // a duplicate of dlv-a
  Record(Delivery("dlv-e", 4000, "", "export", "one"));
  EXPECT_THAT(ListIds(), ElementsAre("dlv-e", "dlv-c", "dlv-b", "dlv-d", "dlv-a"));

  LookerDeliveryFilter filter;
  filter.action = "report";
  EXPECT_THAT(ListIds(filter), ElementsAre("dlv-c", "dlv-d", "dlv-a"));
  filter.webhook_id = "wh-1";
  EXPECT_THAT(ListIds(filter), ElementsAre("dlv-d", "dlv-a"));
  filter.since_ms = 1001;
  EXPECT_THAT(ListIds(filter), ElementsAre("dlv-d"));
  filter = LookerDeliveryFilter{};
  filter.instance = "two";
  EXPECT_THAT(ListIds(filter), ElementsAre("dlv-b"));
  filter.instance = "three";
  EXPECT_TRUE(ListIds(filter).empty());
  filter = LookerDeliveryFilter{};
  filter.since_ms = 3000;
  EXPECT_THAT(ListIds(filter), ElementsAre("dlv-e", "dlv-c", "dlv-b"));
}

TEST_P(LookerDeliveryContract, ListsByPagesAcrossRowsOfTheSameTime) {
  for (const char* id : {"dlv-1", "dlv-2", "dlv-3", "dlv-4"}) Record(Delivery(id, 5000, ""));
  Record(Delivery("dlv-0", 6000, ""));
  Record(Delivery("dlv-9", 100, ""));
  std::vector<std::string> seen;
  PageRequest page{2, ""};
  int pages = 0;
  do {
    Page<LookerDeliveryRecord> got = store_->ListLookerDeliveries({}, page).value();
    EXPECT_LE(got.items.size(), 2u);
    for (const LookerDeliveryRecord& d : got.items) seen.push_back(d.id);
    page.next_token = got.next_token;
    ++pages;
  } while (!page.next_token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAre("dlv-0", "dlv-4", "dlv-3", "dlv-2", "dlv-1", "dlv-9"));

  // Filtered pages continue with the filter.
  LookerDeliveryFilter filter;
  filter.since_ms = 1000;
  Page<LookerDeliveryRecord> first = store_->ListLookerDeliveries(filter, {3, ""}).value();
  EXPECT_THAT(Ids(first), ElementsAre("dlv-0", "dlv-4", "dlv-3"));
  Page<LookerDeliveryRecord> second =
      store_->ListLookerDeliveries(filter, {3, first.next_token}).value();
  EXPECT_THAT(Ids(second), ElementsAre("dlv-2", "dlv-1"));
  EXPECT_EQ(second.next_token, "");
}

TEST_P(LookerDeliveryContract, ListRefusesForeignOrMalformedTokensAndBadPageSizes) {
  Record(Delivery("dlv-1", 1000));
  Record(Delivery("dlv-2", 2000, "wh-2"));
  const std::string token = store_->ListLookerDeliveries({}, {1, ""}).value().next_token;
  ASSERT_FALSE(token.empty());
  for (const std::string& bad :
       {std::string("e.5"), std::string("l.2000"), std::string("l.x.61"), std::string("l.2000.6"),
        std::string("l.2000.zz"), token.substr(0, token.size() - 1), "c" + token.substr(1)}) {
    EXPECT_EQ(store_->ListLookerDeliveries({}, {1, bad}).status(),
              InvalidArgumentError("ListLookerDeliveries: invalid pagination token '" + bad + "'"))
        << bad;
  }
  EXPECT_EQ(store_->ListLookerDeliveries({}, {1001, ""}).status().code(),
            StatusCode::kInvalidArgument);
  // A token from a listing of executions is refused too.
  ASSERT_EQ(store_->CreateStateMachine(testing::Machine("m"), {}), Status::OK());
  for (const char* name : {"e1", "e2"}) {
    ASSERT_EQ(store_->CreateExecution(testing::Execution("m", name), {}), Status::OK());
  }
  const std::string executions = store_->ListExecutions({}, {1, ""}).value().next_token;
  ASSERT_FALSE(executions.empty());
  EXPECT_EQ(store_->ListLookerDeliveries({}, {1, executions}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(LookerDeliveryContract, DeleteBeforeRemovesOlderDeliveriesAndCountsThem) {
  Record(Delivery("dlv-1", 1000));
  Record(Delivery("dlv-2", 2000));  // a duplicate of dlv-1
  Record(Delivery("dlv-3", 3000, ""));
  Record(Delivery("dlv-4", 3001, "wh-4"));
  EXPECT_EQ(store_->DeleteLookerDeliveriesBefore(1000).value(), 0);
  EXPECT_EQ(store_->DeleteLookerDeliveriesBefore(3000).value(), 2);
  EXPECT_THAT(ListIds(), ElementsAre("dlv-4", "dlv-3"));
  EXPECT_EQ(store_->GetLookerDelivery("dlv-1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteLookerDeliveriesBefore(3000).value(), 0);
  // With its first gone, a redelivery of dlv-1's key is a first again; its
  // id can be used again.
  EXPECT_EQ(Record(Delivery("dlv-1", 4000)).first, std::nullopt);
  EXPECT_EQ(store_->DeleteLookerDeliveriesBefore(INT64_MAX).value(), 3);
  EXPECT_TRUE(ListIds().empty());
}

TEST_P(LookerDeliveryContract, OfConcurrentDeliveriesOfOneKeyExactlyOneIsTheFirst) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5;
  std::atomic<int> firsts = 0, duplicates = 0, errors = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = "dlv-" + std::to_string(t) + "-" + std::to_string(i);
        StatusOr<RecordedDelivery> r = store_->RecordLookerDelivery(Delivery(id, 1000 + i), 0);
        if (!r.ok()) {
          ++errors;
        } else if (r->first.has_value()) {
          ++duplicates;
        } else {
          ++firsts;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(firsts.load(), 1);
  EXPECT_EQ(duplicates.load(), kThreads * kPerThread - 1);
  Page<LookerDeliveryRecord> all = store_->ListLookerDeliveries({}, {1000, ""}).value();
  ASSERT_EQ(all.items.size(), static_cast<size_t>(kThreads * kPerThread));
  std::string first_id;
  for (const LookerDeliveryRecord& d : all.items) {
    if (d.duplicate_of.empty()) first_id = d.id;
  }
  for (const LookerDeliveryRecord& d : all.items) {
    if (d.id != first_id) {
      EXPECT_EQ(d.duplicate_of, first_id) << d.id;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllStores, LookerDeliveryContract,
                         ::testing::ValuesIn(testing::StoreImplementations()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace stepd::store
