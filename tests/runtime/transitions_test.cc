// What the runtime hands the store: merged commits and Map Run records.

#include "../../src/runtime/transitions.h"

#include <gtest/gtest.h>

namespace stepd::runtime::internal {
namespace {

store::MapRunRecord MapRun(const std::string& arn, store::MapRunStatus status) {
  store::MapRunRecord r;
  r.arn = arn;
  r.execution_arn = "arn:e";
  r.status = status;
  return r;
}

TEST(MergeTransition, KeepsTheClosedTasksAndMapRunsOfBothInOrder) {
  store::Transition earlier;
  earlier.execution_arn = "arn:e";
  earlier.closed_tasks = {1};
  earlier.map_runs = {MapRun("arn:run", store::MapRunStatus::kRunning)};
  store::Transition later;
  later.execution_arn = "arn:e";
  later.closed_tasks = {2};
  later.map_runs = {MapRun("arn:run", store::MapRunStatus::kSucceeded)};
  MergeTransition(earlier, std::move(later));
  EXPECT_EQ(earlier.closed_tasks, (std::vector<int64_t>{1, 2}));
  ASSERT_EQ(earlier.map_runs.size(), 2u);
  // The store applies them in order: the run ends SUCCEEDED.
  EXPECT_EQ(earlier.map_runs[0].status, store::MapRunStatus::kRunning);
  EXPECT_EQ(earlier.map_runs[1].status, store::MapRunStatus::kSucceeded);
}

TEST(ToMapRunRecord, CarriesTheRunWithItsOwnerAndMillisecondTimes) {
  asl::MapRunInfo info;
  info.arn = "arn:aws:states:us-east-1:1:mapRun:m/L:u";
  info.status = asl::MapRunStatus::kAborted;
  info.max_concurrency = 5;
  info.tolerated_failure_percentage = 12.5;
  info.total_items = 10;
  info.total_executions = 4;
  info.start_time = FromMillis(1000);
  info.stop_time = FromMillis(2500);
  store::MapRunRecord r = ToMapRunRecord(info, "arn:parent");
  EXPECT_EQ(r.arn, info.arn);
  EXPECT_EQ(r.execution_arn, "arn:parent");
  EXPECT_EQ(r.status, store::MapRunStatus::kAborted);
  EXPECT_EQ(r.max_concurrency, 5);
  EXPECT_EQ(r.tolerated_failure_count, 0);  // unset
  EXPECT_EQ(r.tolerated_failure_percentage, 12.5);
  EXPECT_EQ(r.total_items, 10);
  EXPECT_EQ(r.total_executions, 4);
  EXPECT_EQ(r.start_time_ms, 1000);
  EXPECT_EQ(r.stop_time_ms, 2500);
}

}  // namespace
}  // namespace stepd::runtime::internal
