#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "stepd/asl/intrinsics.h"

namespace stepd::asl {
namespace {

using ::testing::MatchesRegex;

AslResult<Json> Eval(std::string_view text, const Json& input = Json::object()) {
  auto call = IntrinsicCall::Parse(text);
  EXPECT_TRUE(call.ok()) << call.status();
  if (!call.ok()) return AslError{"parse", call.status().message()};
  EvalScope scope{&input, nullptr, nullptr};
  return call->Evaluate(scope);
}

Json RunOk(std::string_view text, const Json& input = Json::object()) {
  AslResult<Json> result = Eval(text, input);
  EXPECT_TRUE(result.ok()) << text << ": " << (result.ok() ? "" : result.error().cause);
  return result.ok() ? result.value() : Json("<error>");
}

// Expects `text` to fail with "Invalid arguments in <function>".
void ExpectInvalid(std::string_view text, std::string_view function,
                   const Json& input = Json::object()) {
  AslResult<Json> result = Eval(text, input);
  ASSERT_FALSE(result.ok()) << text << " gave " << result.value().dump();
  EXPECT_EQ(result.error(),
            (AslError{"States.Runtime", "Invalid arguments in " + std::string(function)}))
      << text;
}

// --- States.Format ---

TEST(StatesFormat, ReplacesPlaceholdersInOrder) {
  EXPECT_EQ(RunOk("States.Format('Formatting argument {}.', $.v)", Json{{"v", "HelloWorld"}}),
            "Formatting argument HelloWorld.");
  EXPECT_EQ(RunOk("States.Format('{} {} {}', 'x', 2, true)"), "x 2 true");
  EXPECT_EQ(RunOk("States.Format('no placeholders')"), "no placeholders");
  EXPECT_EQ(RunOk("States.Format('  {}  ', 'x')"), "  x  ");
}

TEST(StatesFormat, RendersValuesAsJavaToString) {
  Json input = Json::parse(R"({"fst": {"Arg1": 1, "Arg2": []}, "n": null, "f": 3.5,
                               "s": "{\"Arg1\": 1}", "a": [1, "x", {"k": [true]}]})");
  EXPECT_EQ(RunOk("States.Format('fst={} and snd={}.', $.fst, $.fst)", input),
            "fst={Arg1=1, Arg2=[]} and snd={Arg1=1, Arg2=[]}.");
  EXPECT_EQ(RunOk("States.Format('{}|{}|{}', $.n, $.f, $.s)", input), "null|3.5|{\"Arg1\": 1}");
  EXPECT_EQ(RunOk("States.Format('{}', $.a)", input), "[1, x, {k=[true]}]");
}

TEST(StatesFormat, EscapedBracesAndQuotesAreLiteral) {
  EXPECT_EQ(RunOk(R"(States.Format('\{\} is {}, it\'s \\', 'x'))"), "{} is x, it's \\");
}

TEST(StatesFormat, TemplateMayComeFromAPath) {
  EXPECT_EQ(RunOk("States.Format($.t, $.name)", Json{{"t", "Hello {}"}, {"name", "Ada"}}),
            "Hello Ada");
}

TEST(StatesFormat, RejectsPlaceholderCountMismatch) {
  ExpectInvalid("States.Format('{} {}', 'x')", "States.Format");
  ExpectInvalid("States.Format('{}', 'x', 'y')", "States.Format");
  ExpectInvalid("States.Format($.t, 'x', 'y')", "States.Format", Json{{"t", "{}"}});
}

TEST(StatesFormat, RejectsLoneBraces) {
  ExpectInvalid("States.Format('Hello {', 'x')", "States.Format");
  ExpectInvalid("States.Format('Hello {{}}', 'x')", "States.Format");
  ExpectInvalid("States.Format('}')", "States.Format");
}

TEST(StatesFormat, RejectsNonStringTemplateAndNoArguments) {
  ExpectInvalid("States.Format($.t, 'x')", "States.Format", Json{{"t", 123}});
  ExpectInvalid("States.Format()", "States.Format");
}

// --- States.StringToJson / States.JsonToString ---

TEST(StatesStringToJson, ParsesJsonText) {
  EXPECT_EQ(RunOk("States.StringToJson($.s)", Json{{"s", "[1, 2, \"HelloWorld\"]"}}),
            Json::parse(R"([1, 2, "HelloWorld"])"));
  EXPECT_EQ(RunOk("States.StringToJson($.s)", Json{{"s", "-0"}}), 0);
  EXPECT_EQ(RunOk("States.StringToJson($.s)", Json{{"s", "\"x\""}}), "x");
}

TEST(StatesStringToJson, BlankTextIsNull) {
  EXPECT_EQ(RunOk("States.StringToJson($.s)", Json{{"s", " "}}), nullptr);
  EXPECT_EQ(RunOk("States.StringToJson('')"), nullptr);
}

TEST(StatesStringToJson, RejectsNonStringsAndInvalidJson) {
  ExpectInvalid("States.StringToJson(1)", "States.StringToJson");
  ExpectInvalid("States.StringToJson('{oops')", "States.StringToJson");
  ExpectInvalid("States.StringToJson('a', 'b')", "States.StringToJson");
}

TEST(StatesStringToJson, RejectsTextNestedDeeperThanTheJsonLimit) {
  // A state's input string could otherwise become a value every later step
  // walks recursively (output, history, JSONPath).
  const std::string deep(100'000, '[');
  ExpectInvalid("States.StringToJson($.s)", "States.StringToJson",
                Json{{"s", deep + std::string(100'000, ']')}});
  EXPECT_EQ(RunOk("States.StringToJson($.s)",
                  Json{{"s", std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']')}})
                .dump()
                .size(),
            2u * kMaxJsonDepth);
}

TEST(StatesJsonToString, SerializesCompactly) {
  EXPECT_EQ(RunOk("States.JsonToString($.v)", Json{{"v", 1.1}}), "1.1");
  EXPECT_EQ(RunOk("States.JsonToString($.v)", Json::parse(R"({"v": [1, 2, "HelloWorld"]})")),
            "[1,2,\"HelloWorld\"]");
  EXPECT_EQ(RunOk("States.JsonToString($.v)", Json::parse(R"({"v": {"k": 1}})")), "{\"k\":1}");
  ExpectInvalid("States.JsonToString()", "States.JsonToString");
}

// --- Arrays ---

TEST(StatesArray, CollectsArgumentsIncludingNestedValues) {
  EXPECT_EQ(RunOk("States.Array()"), Json::array());
  EXPECT_EQ(RunOk("States.Array(1, States.Array(2, 3), $.o)", Json::parse(R"({"o": {"k": 1}})")),
            Json::parse(R"([1, [2, 3], {"k": 1}])"));
}

TEST(StatesArrayPartition, SplitsIntoChunksWithShorterRemainder) {
  Json input = {{"a", {0, 1, 2, 3, 4}}};
  EXPECT_EQ(RunOk("States.ArrayPartition($.a, 2)", input), Json::parse("[[0,1],[2,3],[4]]"));
  EXPECT_EQ(RunOk("States.ArrayPartition($.a, 5)", input), Json::parse("[[0,1,2,3,4]]"));
  EXPECT_EQ(RunOk("States.ArrayPartition($.a, 2147483647)", input),
            Json::parse("[[0,1,2,3,4]]"));
  EXPECT_EQ(RunOk("States.ArrayPartition(States.Array(), 3)"), Json::array());
}

TEST(StatesArrayPartition, TruncatesFractionalChunkSize) {
  Json input = {{"a", {1, 2, 3, 4, 5}}};
  EXPECT_EQ(RunOk("States.ArrayPartition($.a, 2.6)", input), Json::parse("[[1,2],[3,4],[5]]"));
}

TEST(StatesArrayPartition, RejectsNonPositiveChunkAndNonArray) {
  Json input = {{"a", {1, 2, 3}}};
  for (const char* text :
       {"States.ArrayPartition($.a, 0)", "States.ArrayPartition($.a, -1)",
        "States.ArrayPartition($.a, 0.6)", "States.ArrayPartition($.a, '2')",
        "States.ArrayPartition($.a, null)", "States.ArrayPartition('x', 2)",
        "States.ArrayPartition($.a)", "States.ArrayPartition($.a, 2, 9)"}) {
    ExpectInvalid(text, "States.ArrayPartition", input);
  }
}

TEST(StatesArrayContains, ComparesStructurally) {
  Json input = Json::parse(R"({"a": [1, {"x": 1, "y": [2]}, "s", null], "o": {"y": [2], "x": 1}})");
  EXPECT_EQ(RunOk("States.ArrayContains($.a, 1.0)", input), true);
  EXPECT_EQ(RunOk("States.ArrayContains($.a, $.o)", input), true);
  EXPECT_EQ(RunOk("States.ArrayContains($.a, null)", input), true);
  EXPECT_EQ(RunOk("States.ArrayContains($.a, 'z')", input), false);
  EXPECT_EQ(RunOk("States.ArrayContains(States.Array(), null)"), false);
  ExpectInvalid("States.ArrayContains('s', 's')", "States.ArrayContains");
}

TEST(StatesArrayRange, BuildsInclusiveRanges) {
  EXPECT_EQ(RunOk("States.ArrayRange(1, 9, 2)"), Json::parse("[1,3,5,7,9]"));
  EXPECT_EQ(RunOk("States.ArrayRange(5, 1, -2)"), Json::parse("[5,3,1]"));
  EXPECT_EQ(RunOk("States.ArrayRange(3, 3, -1)"), Json::parse("[3]"));
  EXPECT_EQ(RunOk("States.ArrayRange(5, 1, 1)"), Json::array());
  EXPECT_EQ(RunOk("States.ArrayRange(1.6, 1.4, 1)"), Json::parse("[1]"));
  EXPECT_EQ(RunOk("States.ArrayRange(5.4, -0.6, -2.4)"), Json::parse("[5,3,1]"));
}

TEST(StatesArrayRange, AllowsAThousandItemsButNotMore) {
  EXPECT_EQ(RunOk("States.ArrayRange(1, 1000, 1)").size(), 1000u);
  EXPECT_EQ(RunOk("States.ArrayRange(1000, 1, -1)").size(), 1000u);
  ExpectInvalid("States.ArrayRange(1, 1001, 1)", "States.ArrayRange");
  ExpectInvalid("States.ArrayRange(1001, 1, -1)", "States.ArrayRange");
}

TEST(StatesArrayRange, RejectsZeroStepAndNonNumbers) {
  ExpectInvalid("States.ArrayRange(1, 10, 0)", "States.ArrayRange");
  ExpectInvalid("States.ArrayRange(1, 10, 0.49)", "States.ArrayRange");
  ExpectInvalid("States.ArrayRange('a', 5, 1)", "States.ArrayRange");
  ExpectInvalid("States.ArrayRange(1, 5)", "States.ArrayRange");
}

TEST(StatesArrayGetItem, ReturnsTheItemAtATruncatedIndex) {
  Json input = Json::parse(R"({"a": [10, 20, {"k": 1}]})");
  EXPECT_EQ(RunOk("States.ArrayGetItem($.a, 0)", input), 10);
  EXPECT_EQ(RunOk("States.ArrayGetItem($.a, 2)", input), Json::parse(R"({"k": 1})"));
  EXPECT_EQ(RunOk("States.ArrayGetItem($.a, 1.2)", input), 20);
}

TEST(StatesArrayGetItem, EmptyArrayGivesNull) {
  EXPECT_EQ(RunOk("States.ArrayGetItem(States.Array(), 999)"), nullptr);
}

TEST(StatesArrayGetItem, RejectsOutOfRangeAndWrongTypes) {
  Json input = {{"a", {10, 20, 30}}};
  ExpectInvalid("States.ArrayGetItem($.a, 3)", "States.ArrayGetItem", input);
  ExpectInvalid("States.ArrayGetItem($.a, -1)", "States.ArrayGetItem", input);
  ExpectInvalid("States.ArrayGetItem($.a, '1')", "States.ArrayGetItem", input);
  ExpectInvalid("States.ArrayGetItem('x', 0)", "States.ArrayGetItem", input);
}

TEST(StatesArrayLength, CountsItems) {
  EXPECT_EQ(RunOk("States.ArrayLength($.a)", Json{{"a", {1, 2, 3, 4, 5, 6, 7, 8, 9}}}), 9);
  EXPECT_EQ(RunOk("States.ArrayLength(States.Array())"), 0);
  ExpectInvalid("States.ArrayLength('abc')", "States.ArrayLength");
}

TEST(StatesArrayUnique, KeepsFirstOccurrences) {
  Json input = Json::parse(R"({"a": [1, 2, 1.0, "1", {"a": 1, "b": 2}, {"b": 2, "a": 1}, null, null]})");
  EXPECT_EQ(RunOk("States.ArrayUnique($.a)", input),
            Json::parse(R"([1, 2, "1", {"a": 1, "b": 2}, null])"));
  ExpectInvalid("States.ArrayUnique(1)", "States.ArrayUnique");
}

// --- Encoding and hashing ---

TEST(StatesBase64Encode, EncodesUtf8WithPadding) {
  EXPECT_EQ(RunOk("States.Base64Encode('Data to encode')"), "RGF0YSB0byBlbmNvZGU=");
  EXPECT_EQ(RunOk("States.Base64Encode('')"), "");
  EXPECT_EQ(RunOk("States.Base64Encode('ab')"), "YWI=");
  EXPECT_EQ(RunOk("States.Base64Encode($.s)", Json{{"s", "\u2713"}}), "4pyT");
}

TEST(StatesBase64Encode, LimitsInputToTenThousandCharacters) {
  EXPECT_TRUE(Eval("States.Base64Encode($.s)", Json{{"s", std::string(10000, 'a')}}).ok());
  ExpectInvalid("States.Base64Encode($.s)", "States.Base64Encode",
                Json{{"s", std::string(10001, 'a')}});
  ExpectInvalid("States.Base64Encode(1)", "States.Base64Encode");
}

TEST(StatesBase64Decode, DecodesToUtf8Text) {
  EXPECT_EQ(RunOk("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')"), "Data to encode");
  EXPECT_EQ(RunOk("States.Base64Decode('44GT44KT44Gr44Gh44Gv')"),
            "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF");
  EXPECT_EQ(RunOk("States.Base64Decode('YWJjAGRlZg==')"), std::string("abc\0def", 7));
  EXPECT_EQ(RunOk("States.Base64Decode('')"), "");
}

TEST(StatesBase64Decode, IsLenientLikeAws) {
  EXPECT_EQ(RunOk("States.Base64Decode(' YWJjZA== ')"), "abcd");
  EXPECT_EQ(RunOk("States.Base64Decode('abc')"), "i\xEF\xBF\xBD");
  EXPECT_EQ(RunOk("States.Base64Decode('ab==cd')"), "i");
}

TEST(StatesBase64Decode, ReplacesInvalidUtf8) {
  EXPECT_EQ(RunOk("States.Base64Decode('/w==')"), "\xEF\xBF\xBD");  // byte 0xFF
}

TEST(StatesBase64Decode, RejectsLongInputAndNonStrings) {
  ExpectInvalid("States.Base64Decode($.s)", "States.Base64Decode",
                Json{{"s", std::string(10001, 'A')}});
  ExpectInvalid("States.Base64Decode(123)", "States.Base64Decode");
  ExpectInvalid("States.Base64Decode()", "States.Base64Decode");
  ExpectInvalid("States.Base64Decode('aGVsbG8=', 'extra')", "States.Base64Decode");
}

TEST(StatesHash, ComputesEveryAlgorithm) {
  EXPECT_EQ(RunOk("States.Hash('hello', 'MD5')"), "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(RunOk("States.Hash('hello', 'SHA-1')"), "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
  EXPECT_EQ(RunOk("States.Hash('hello', 'SHA-256')"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(RunOk("States.Hash('input data', 'SHA-384')"),
            "d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1"
            "fb9e9374a15562");
  EXPECT_EQ(RunOk("States.Hash('input data', 'SHA-512')"),
            "6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d"
            "593fc50283731a533d30d425402d4f91316d871303aac4");
}

TEST(StatesHash, HashesNonStringsByTheirTextAndUtf8Bytes) {
  EXPECT_EQ(RunOk("States.Hash(123, 'MD5')"), RunOk("States.Hash('123', 'MD5')"));
  EXPECT_EQ(RunOk("States.Hash($.s, 'SHA-256')", Json{{"s", "\u2713"}}),
            "1dabba21cdad44541f6b15796f8d22978fc7ea10c46aeceeeeb66c23b3ac7604");
}

TEST(StatesHash, RejectsUnknownAlgorithmsAndLongInput) {
  for (const char* algorithm : {"sha-256", "SHA256", "", "MD-5", "SHA-257"}) {
    ExpectInvalid("States.Hash('data', '" + std::string(algorithm) + "')", "States.Hash");
  }
  ExpectInvalid("States.Hash('hello', 123)", "States.Hash");
  ExpectInvalid("States.Hash('hello')", "States.Hash");
  EXPECT_TRUE(Eval("States.Hash($.s, 'MD5')", Json{{"s", std::string(10000, 'a')}}).ok());
  ExpectInvalid("States.Hash($.s, 'MD5')", "States.Hash", Json{{"s", std::string(10001, 'a')}});
}

// --- JSON, math, strings, UUID ---

TEST(StatesJsonMerge, MergesShallowlySecondWins) {
  Json input = Json::parse(R"({"a": {"x": 1, "n": {"p": 1}}, "b": {"y": 2, "n": {"q": 2}}})");
  EXPECT_EQ(RunOk("States.JsonMerge($.a, $.b, false)", input),
            Json::parse(R"({"x": 1, "n": {"q": 2}, "y": 2})"));
  EXPECT_EQ(RunOk(R"(States.JsonMerge(States.StringToJson('{"c": "false"}'), $.b, false))", input),
            Json::parse(R"({"c": "false", "y": 2, "n": {"q": 2}})"));
}

TEST(StatesJsonMerge, RejectsDeepModeAndNonObjects) {
  Json input = Json::parse(R"({"a": {"x": 1}, "b": {"y": 2}})");
  ExpectInvalid("States.JsonMerge($.a, $.b, true)", "States.JsonMerge", input);
  ExpectInvalid("States.JsonMerge($.a, $.b)", "States.JsonMerge", input);
  ExpectInvalid("States.JsonMerge($.a, 1, false)", "States.JsonMerge", input);
  ExpectInvalid("States.JsonMerge($.a, null, false)", "States.JsonMerge", input);
}

TEST(StatesJsonMerge, TreatsANonBooleanModeAsShallow) {
  Json input = Json::parse(R"({"a": {"x": 1}, "b": {"y": 2}})");
  EXPECT_EQ(RunOk("States.JsonMerge($.a, $.b, 'false')", input), Json::parse(R"({"x": 1, "y": 2})"));
}

TEST(StatesMathAdd, AddsIntegers) {
  EXPECT_EQ(RunOk("States.MathAdd(111, -1)"), 110);
  EXPECT_EQ(RunOk("States.MathAdd($.i, 1)", Json{{"i", 41}}), 42);
}

TEST(StatesMathAdd, RoundsFractionsHalfUp) {
  struct Case {
    double a, b;
    int sum;
  };
  for (Case c : {Case{1.49, 1.5, 3}, Case{0.5, 0, 1}, Case{3.5, 0, 4}, Case{-0.5, 0.5, 1},
                 Case{1.5, 1.51, 4}, Case{-1.49, -1.5, -2}, Case{1.51, 0, 2}}) {
    Json out = RunOk("States.MathAdd($.a, $.b)", Json{{"a", c.a}, {"b", c.b}});
    EXPECT_EQ(out, c.sum) << c.a << " + " << c.b;
    EXPECT_TRUE(out.is_number_integer());
  }
}

TEST(StatesMathAdd, RejectsNonNumbersAndInt32Overflow) {
  ExpectInvalid("States.MathAdd('1', 2)", "States.MathAdd");
  ExpectInvalid("States.MathAdd(2147483647, 1)", "States.MathAdd");
  ExpectInvalid("States.MathAdd(2147483648, 0)", "States.MathAdd");
  ExpectInvalid("States.MathAdd(1, 2, 3)", "States.MathAdd");
  EXPECT_EQ(RunOk("States.MathAdd(-2147483648, 2147483647)"), -1);
}

TEST(StatesMathRandom, StaysWithinHalfOpenRange) {
  for (int i = 0; i < 200; ++i) {
    Json v = RunOk("States.MathRandom(1, 4)");
    ASSERT_TRUE(v.is_number_integer());
    EXPECT_GE(v.get<int>(), 1);
    EXPECT_LT(v.get<int>(), 4);
  }
  Json v = RunOk("States.MathRandom(-99999, -9999)");
  EXPECT_GE(v.get<int>(), -99999);
  EXPECT_LT(v.get<int>(), -9999);
}

TEST(StatesMathRandom, SeedMakesItReproducibleAsJavaRandom) {
  // new java.util.Random(42).nextInt(100) == 30; new Random(1).nextInt(999) == 105.
  EXPECT_EQ(RunOk("States.MathRandom(0, 100, 42)"), 30);
  EXPECT_EQ(RunOk("States.MathRandom(10, 1009, 1)"), 115);
  EXPECT_EQ(RunOk("States.MathRandom(1, 10, -10)"), RunOk("States.MathRandom(1, 10, -10)"));
}

TEST(StatesMathRandom, RejectsEmptyRangesAndBadTypes) {
  for (const char* text :
       {"States.MathRandom(1, 1)", "States.MathRandom(10, 5)", "States.MathRandom(1.4, 1.6)",
        "States.MathRandom('a', 10)", "States.MathRandom(1, 10, 'seed')",
        "States.MathRandom(1, 10, null)", "States.MathRandom(1)",
        "States.MathRandom(1, 10, 5, 99)"}) {
    ExpectInvalid(text, "States.MathRandom");
  }
}

TEST(StatesStringSplit, SplitsOnEachDelimiterCharacterDroppingEmpties) {
  EXPECT_EQ(RunOk("States.StringSplit('1,2,3', ',')"), Json::parse(R"(["1","2","3"])"));
  EXPECT_EQ(RunOk("States.StringSplit(',,,,', ',')"), Json::array());
  EXPECT_EQ(RunOk("States.StringSplit($.s, $.d)",
                  Json{{"s", "split on T and \nnew line"}, {"d", "T\n"}}),
            Json::parse(R"(["split on ", " and ", "new line"])"));
  EXPECT_EQ(RunOk("States.StringSplit($.s, $.d)", Json{{"s", "a\u2713b"}, {"d", "\u2713"}}),
            Json::parse(R"(["a","b"])"));
  ExpectInvalid("States.StringSplit(1, ',')", "States.StringSplit");
}

TEST(StatesUuid, GeneratesDistinctVersion4Uuids) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    Json v = RunOk("States.UUID()");
    ASSERT_TRUE(v.is_string());
    EXPECT_THAT(v.get<std::string>(),
                MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
    seen.insert(v.get<std::string>());
  }
  EXPECT_EQ(seen.size(), 50u);
  ExpectInvalid("States.UUID(1)", "States.UUID");
}

}  // namespace
}  // namespace stepd::asl
