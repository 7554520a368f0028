// The Schedules part of the Store contract, run against every
// implementation: records round-trip, names are unique, listings go by
// name, and every update is a compare-and-set on the revision it read (the
// scheduler's advance past a due time relies on it).

#include <gtest/gtest.h>

#include "stepd/store/store.h"
#include "store/store_testing.h"

namespace stepd::store {
namespace {

using testing::StoreFactory;
using testing::TempDir;

ScheduleRecord Schedule(const std::string& name) {
  ScheduleRecord s;
  s.name = name;
  s.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
  s.expression = "rate(5 minutes)";
  s.next_fire_ms = 300000;
  s.created_at_ms = 1000;
  s.updated_at_ms = 1000;
  return s;
}

class ScheduleContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(ScheduleContract, RoundTripsEveryFieldAndStartsAtRevisionOne) {
  ScheduleRecord s = Schedule("nightly");
  s.description = "the nightly load";
  s.qualifier = "prod";
  s.input = R"({"x":1})";
  s.expression = "cron(0 2 * * ? *)";
  s.timezone = "Europe/Berlin";
  s.start_ms = 500;
  s.end_ms = 9000000;
  s.enabled = false;
  s.catch_up = ScheduleCatchUp::kSkip;
  s.source = "config";
  s.next_fire_ms = std::nullopt;
  s.last_fire_ms = 100;
  s.last_execution_arn = "arn:aws:states:us-east-1:123456789012:execution:m:e";
  s.last_error = "States.Boom";
  s.revision = 42;  // ignored: the store counts
  ASSERT_EQ(store_->CreateSchedule(s, {testing::Audit("CreateSchedule", "nightly")}), Status::OK());
  ScheduleRecord expected = s;
  expected.revision = 1;
  EXPECT_EQ(store_->GetSchedule("nightly").value(), expected);
  const auto audit = store_->ListAudit({}).value().items;
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].entry.action, "CreateSchedule");
}

TEST_P(ScheduleContract, NamesAreUniqueAndListedInOrder) {
  ASSERT_EQ(store_->CreateSchedule(Schedule("b"), {}), Status::OK());
  ASSERT_EQ(store_->CreateSchedule(Schedule("a"), {}), Status::OK());
  EXPECT_EQ(store_->CreateSchedule(Schedule("a"), {}),
            AlreadyExistsError("CreateSchedule: a schedule named 'a' already exists"));
  std::vector<std::string> names;
  const std::vector<ScheduleRecord> listed = store_->ListSchedules().value();
  for (const ScheduleRecord& s : listed) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(store_->GetSchedule("c").status(),
            NotFoundError("GetSchedule: schedule 'c' does not exist"));
  EXPECT_EQ(store_->CreateSchedule(Schedule(""), {}).code(), StatusCode::kInvalidArgument);
}

TEST_P(ScheduleContract, UpdateIsACompareAndSetOnTheRevision) {
  ASSERT_EQ(store_->CreateSchedule(Schedule("s"), {}), Status::OK());
  ScheduleRecord advance = store_->GetSchedule("s").value();
  advance.next_fire_ms = 600000;
  advance.last_fire_ms = 300000;
  advance.last_execution_arn = "arn:e";
  advance.created_at_ms = 77;  // kept as created
  EXPECT_EQ(store_->UpdateSchedule(advance, {testing::Audit("ScheduleFired", "s")}).value(), 2);
  // A second writer that read revision 1 loses: the due time is not fired twice.
  EXPECT_EQ(store_->UpdateSchedule(advance, {}).status(),
            AbortedError("UpdateSchedule: schedule 's' is at revision 2, not 1"));
  const ScheduleRecord got = store_->GetSchedule("s").value();
  EXPECT_EQ(got.revision, 2);
  EXPECT_EQ(got.next_fire_ms, 600000);
  EXPECT_EQ(got.last_fire_ms, 300000);
  EXPECT_EQ(got.last_execution_arn, "arn:e");
  EXPECT_EQ(got.created_at_ms, 1000);
  ScheduleRecord missing = Schedule("gone");
  EXPECT_EQ(store_->UpdateSchedule(missing, {}).status(),
            NotFoundError("UpdateSchedule: schedule 'gone' does not exist"));
}

TEST_P(ScheduleContract, DeleteRemovesItOnce) {
  ASSERT_EQ(store_->CreateSchedule(Schedule("s"), {}), Status::OK());
  EXPECT_EQ(store_->DeleteSchedule("s", {testing::Audit("DeleteSchedule", "s")}), Status::OK());
  EXPECT_EQ(store_->DeleteSchedule("s", {}),
            NotFoundError("DeleteSchedule: schedule 's' does not exist"));
  EXPECT_TRUE(store_->ListSchedules().value().empty());
  EXPECT_EQ(store_->ListAudit({}).value().items.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(AllStores, ScheduleContract,
                         ::testing::ValuesIn(testing::StoreImplementations()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace stepd::store
