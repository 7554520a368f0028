#include "stepd/base/json.h"

#include <gtest/gtest.h>

#include <cmath>

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

TEST(ParseJson, RefusesNestingDeeperThanTheLimitAndCountsOnlyOutsideStrings) {
  const auto nested = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
  EXPECT_TRUE(ParseJson(nested(kMaxJsonDepth)).ok());
  auto deep = ParseJson(nested(kMaxJsonDepth + 1));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(),
            "invalid JSON at byte 513: arrays and objects nest deeper than 512 levels");
  // 100,000 levels: refused before the parser (or any later walk) recurses.
  EXPECT_FALSE(ParseJson(std::string(100'000, '{')).ok());
  // Brackets inside strings, escaped quotes included, are text.
  const std::string in_string = "[\"\\\"" + std::string(1000, '[') + "\"]";
  auto text = ParseJson(in_string);
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_EQ(text.value()[0].get<std::string>().size(), 1001u);
}

TEST(ParseJson, RefusesNumbersBeyondADoubleWithAnErrorNotAnException) {
  auto huge = ParseJson(R"({"n": [1e3081]})");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().message(),
            "invalid JSON: [json.exception.out_of_range.406] number overflow parsing '1e3081'");
  EXPECT_FALSE(ParseJson("-1e400").ok());
  EXPECT_TRUE(ParseJson("1e308").ok());
}

TEST(AppendJsonText, EqualsDumpForEveryKindOfValue) {
  const Json v = Json::parse(R"({"s":"a\"b\\c\n\u0001é","i":-42,"u":18446744073709551615,
    "f":1.5,"whole":2.0,"tiny":1e-300,"t":true,"n":null,"a":[1,[],{}],"o":{"k":"v"}})");
  std::string text;
  AppendJsonText(v, &text);
  EXPECT_EQ(text, v.dump());
}

TEST(AppendJsonText, NonFiniteNumbersBecomeNull) {
  std::string text;
  AppendJsonText(Json(std::nan("")), &text);
  EXPECT_EQ(text, "null");
}

TEST(AppendJsonText, InvalidUtf8BecomesReplacementCharacter) {
  std::string text;
  AppendJsonText(Json(std::string("a\xff\xc3(b\xe2\x82")), &text);
  EXPECT_EQ(text, "\"a\xEF\xBF\xBD\xEF\xBF\xBD(b\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_NO_THROW(Json::parse(text));
}

TEST(AppendJsonTextAsStringBody, RoundTripsThroughAStringValue) {
  const Json v = Json::parse(R"({"q":"say \"hi\" \\ \n \t \u001f","a":[1.25,null,"x"]})");
  std::string text = "\"";
  AppendJsonTextAsStringBody(v, &text);
  text += "\"";
  const Json as_string = Json::parse(text);
  ASSERT_TRUE(as_string.is_string());
  EXPECT_EQ(as_string.get<std::string>(), v.dump());
}

TEST(AppendJsonStringBody, EscapesQuotesBackslashesAndControlCharacters) {
  std::string text;
  AppendJsonStringBody("a\"b\\c\nd\x02", &text);
  EXPECT_EQ(text, "a\\\"b\\\\c\\nd\\u0002");
}

TEST(IsValidUtf8, RefusesStrayBytesOverlongFormsSurrogatesAndCutSequences) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(IsValidUtf8("ab\xe2\x82"));        // cut short
}

TEST(ToValidUtf8, ReplacesEachBadByteAndKeepsTheRest) {
  EXPECT_EQ(ToValidUtf8("a\xff\xc3(b\xe2\x82\xac"), "a\xEF\xBF\xBD\xEF\xBF\xBD(b\xe2\x82\xac");
  EXPECT_EQ(ToValidUtf8("ok"), "ok");
}

}  // namespace
}  // namespace stepd
