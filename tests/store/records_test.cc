#include "stepd/store/records.h"

#include <gtest/gtest.h>

namespace stepd::store {
namespace {

TEST(ExecutionStatusName, RoundTripsEveryStatus) {
  for (ExecutionStatus s :
       {ExecutionStatus::kRunning, ExecutionStatus::kSucceeded, ExecutionStatus::kFailed,
        ExecutionStatus::kTimedOut, ExecutionStatus::kAborted, ExecutionStatus::kPendingRedrive}) {
    EXPECT_EQ(ParseExecutionStatus(ExecutionStatusName(s)), s);
  }
  EXPECT_EQ(ExecutionStatusName(ExecutionStatus::kTimedOut), "TIMED_OUT");
  EXPECT_EQ(ParseExecutionStatus("running"), std::nullopt);
}

TEST(MapRunStatusName, RoundTripsEveryStatus) {
  for (MapRunStatus s : {MapRunStatus::kRunning, MapRunStatus::kSucceeded, MapRunStatus::kFailed,
                         MapRunStatus::kAborted}) {
    EXPECT_EQ(ParseMapRunStatus(MapRunStatusName(s)), s);
  }
  EXPECT_EQ(MapRunStatusName(MapRunStatus::kAborted), "ABORTED");
  EXPECT_EQ(ParseMapRunStatus("TIMED_OUT"), std::nullopt);
  EXPECT_EQ(ParseMapRunStatus("running"), std::nullopt);
}

TEST(StateMachineTypeName, UsesTheAwsSpelling) {
  EXPECT_EQ(StateMachineTypeName(StateMachineType::kExpress), "EXPRESS");
  EXPECT_EQ(ParseStateMachineType("STANDARD"), StateMachineType::kStandard);
  EXPECT_EQ(ParseStateMachineType("Standard"), std::nullopt);
  EXPECT_EQ(ParseStateMachineStatus("DELETING"), StateMachineStatus::kDeleting);
}

}  // namespace
}  // namespace stepd::store
