#include "stepd/base/json.h"

#include <gtest/gtest.h>

namespace stepd {
namespace {

TEST(ParseJson, KeepsObjectKeysInInsertionOrder) {
  auto j = ParseJson(R"({"b":1,"a":2})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->dump(), R"({"b":1,"a":2})");
}

TEST(ParseJson, RejectsCommentsUnlessAllowed) {
  constexpr const char* kText = "{ // listen here\n \"a\": 1 /* one */ }";
  EXPECT_EQ(ParseJson(kText).status().code(), StatusCode::kInvalidArgument);
  auto j = ParseJson(kText, /*allow_comments=*/true);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["a"], 1);
}

TEST(ParseJson, ErrorNamesTheByteOffset) {
  auto j = ParseJson("[1, 2,");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("invalid JSON at byte"), std::string::npos);
}

}  // namespace
}  // namespace stepd
