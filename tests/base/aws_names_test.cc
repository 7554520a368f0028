#include "stepd/base/aws_names.h"

#include <gtest/gtest.h>

#include <string>

namespace stepd {
namespace {

TEST(AwsNames, AcceptsOneToEightyCharactersCountedAsCharactersNotBytes) {
  EXPECT_TRUE(IsValidAwsName("a"));
  EXPECT_TRUE(IsValidAwsName("order-42_retry.1"));
  EXPECT_TRUE(IsValidAwsName(std::string(80, 'x')));
  EXPECT_FALSE(IsValidAwsName(""));
  EXPECT_FALSE(IsValidAwsName(std::string(81, 'x')));
  std::string eighty_e_acute;
  for (int i = 0; i < 80; ++i) eighty_e_acute += "\xC3\xA9";  // U+00E9: 2 bytes each
  EXPECT_TRUE(IsValidAwsName(eighty_e_acute));
  EXPECT_FALSE(IsValidAwsName(eighty_e_acute + "\xC3\xA9"));
}

TEST(AwsNames, RefusesTheCharactersAwsRefuses) {
  for (char c : std::string(" <>{}[]?*\"#%\\^|~`$&,;:/")) {
    EXPECT_FALSE(IsValidAwsName(std::string("a") + c + "b")) << "'" << c << "'";
  }
  EXPECT_FALSE(IsValidAwsName("a\tb"));
  EXPECT_FALSE(IsValidAwsName("a\x7f"));
  EXPECT_FALSE(IsValidAwsName("a\xC2\xA0z"));      // no-break space
  EXPECT_FALSE(IsValidAwsName("a\xE2\x80\x83z"));  // em space
  EXPECT_FALSE(IsValidAwsName("a\xE3\x80\x80z"));  // ideographic space
}

}  // namespace
}  // namespace stepd
