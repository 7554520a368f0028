#include "stepd/base/status.h"

#include <gtest/gtest.h>

#include <string>

#include "stepd/base/status_or.h"

namespace stepd {
namespace {

TEST(Status, DefaultIsOkWithEmptyMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, ErrorCarriesCodeAndMessage) {
  Status s = NotFoundError("no such execution");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: no such execution");
}

TEST(Status, WithContextPrependsAndKeepsCode) {
  Status s = InvalidArgumentError("bad path").WithContext("state 'A'");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "state 'A': bad path");
  EXPECT_TRUE(Status::OK().WithContext("ignored").ok());
}

TEST(Status, CopiesAreIndependent) {
  Status a = InternalError("x");
  Status b = a;
  a = Status::OK();
  EXPECT_EQ(b.message(), "x");
  EXPECT_TRUE(a.ok());
}

StatusOr<int> Half(int n) {
  if (n % 2 != 0) return InvalidArgumentError("odd");
  return n / 2;
}

Status HalveTwice(int n, int* out) {
  STEPD_ASSIGN_OR_RETURN(int once, Half(n));
  STEPD_ASSIGN_OR_RETURN(*out, Half(once));
  return Status::OK();
}

TEST(StatusOr, HoldsValueOrError) {
  StatusOr<int> v = Half(4);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 2);
  StatusOr<int> e = Half(3);
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "odd");
  EXPECT_EQ(e.value_or(-1), -1);
}

TEST(StatusOr, AssignOrReturnPropagatesFirstError) {
  int out = 0;
  EXPECT_TRUE(HalveTwice(8, &out).ok());
  EXPECT_EQ(out, 2);
  EXPECT_EQ(HalveTwice(6, &out).message(), "odd");
}

TEST(StatusOr, ConstructedFromOkStatusBecomesInternalError) {
  StatusOr<std::string> s(Status::OK());
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInternal);
}

TEST(StatusOrDeathTest, ValueOfErrorAborts) {
  StatusOr<int> e = Half(3);
  EXPECT_DEATH((void)e.value(), "INVALID_ARGUMENT: odd");
}

}  // namespace
}  // namespace stepd
