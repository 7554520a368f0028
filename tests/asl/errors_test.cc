#include "stepd/asl/errors.h"

#include <gtest/gtest.h>

#include <string>

namespace stepd::asl {
namespace {

TEST(StatesError, NamesMatchTheSpecification) {
  EXPECT_EQ(StatesErrorName(StatesError::kAll), "States.ALL");
  EXPECT_EQ(StatesErrorName(StatesError::kNoChoiceMatched), "States.NoChoiceMatched");
  EXPECT_EQ(StatesErrorName(StatesError::kHttpSocket), "States.Http.Socket");
}

TEST(StatesError, RecognisesOnlyPredefinedNames) {
  EXPECT_TRUE(IsPredefinedStatesError("States.Timeout"));
  EXPECT_FALSE(IsPredefinedStatesError("States.Nope"));
  EXPECT_FALSE(IsPredefinedStatesError("MyError"));
}

AslResult<int> Positive(int n) {
  if (n <= 0) return AslError::Of(StatesError::kRuntime, "not positive");
  return n;
}

AslResult<std::string> Describe(int n) {
  STEPD_ASL_ASSIGN_OR_RETURN(int v, Positive(n));
  return std::to_string(v);
}

TEST(AslResult, AssignOrReturnPassesTheErrorThrough) {
  EXPECT_EQ(Describe(3).value(), "3");
  auto failed = Describe(-1);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error(), (AslError{"States.Runtime", "not positive"}));
}

}  // namespace
}  // namespace stepd::asl
