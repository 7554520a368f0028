#include "stepd/base/percent_encoding.h"

#include <gtest/gtest.h>

namespace stepd {
namespace {

TEST(PercentEncode, KeepsOnlyTheUnreservedCharacters) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a b&c=d/e+f"), "a%20b%26c%3Dd%2Fe%2Bf");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(PercentEncode, EncodesEveryByteOfUtf8WithUpperCaseHex) {
  EXPECT_EQ(PercentEncode("\xC3\xA9"), "%C3%A9");  // é
  EXPECT_EQ(PercentEncode(std::string_view("\0\x7F", 2)), "%00%7F");
}

TEST(PercentEncode, KeepsSlashesOnlyWhenAsked) {
  EXPECT_EQ(PercentEncode("/a b/c", /*keep_slash=*/true), "/a%20b/c");
  EXPECT_EQ(PercentEncode("/a b/c"), "%2Fa%20b%2Fc");
}

}  // namespace
}  // namespace stepd
