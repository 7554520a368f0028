// The values of JSONata expressions (src/asl/jsonata_value.h): payload
// sharing, objects and their index, JSON conversions, JavaScript number
// formatting, sequences, equality and the UTF-8 helpers. (Private headers of
// src/asl, included by path.)
#include "../../src/asl/jsonata_value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace stepd::asl::jsonata {
namespace {

using OJson = nlohmann::ordered_json;

Value J(std::string_view text) { return FromJson(OJson::parse(text)); }
std::string Dump(const Value& v) { return ToOrderedJson(v).dump(); }

class Dummy : public Function {
 public:
  Kind kind() const override { return Kind::kLambda; }
  size_t arity() const override { return 1; }
};

TEST(JsonataValue, DefaultIsUndefinedAndFactoriesSetTheType) {
  EXPECT_TRUE(Value().is_undefined());
  EXPECT_FALSE(Value().is_defined());
  EXPECT_TRUE(Value::Null().is_null());
  EXPECT_TRUE(Value::Bool(true).boolean());
  EXPECT_EQ(Value::Number(2.5).number(), 2.5);
  EXPECT_EQ(Value::String("x").string(), "x");
  EXPECT_TRUE(Value::MakeArray().is_array());
  EXPECT_FALSE(Value::MakeArray().is_sequence());
  EXPECT_TRUE(Value::MakeSequence().is_sequence());
  EXPECT_TRUE(Value::MakeObject().is_object());
  EXPECT_TRUE(Value::Func(std::make_shared<Dummy>()).is_function());
  EXPECT_EQ(Value::Func(std::make_shared<Dummy>()).function().arity(), 1u);
}

TEST(JsonataValue, CopiesShareThePayload) {
  Value s = Value::String("shared text");
  Value t = s;
  EXPECT_EQ(s.heap(), t.heap());
  auto p = std::make_shared<const std::string>("abc");
  EXPECT_EQ(Value::String(p).heap(), p.get());
  EXPECT_EQ(Value::String(p).shared_string(), p);
  Value a = J("[1,2]");
  EXPECT_TRUE(a.is_unique());
  Value b = a;
  EXPECT_FALSE(a.is_unique());
  EXPECT_EQ(a.heap(), b.heap());
  EXPECT_FALSE(Value::Number(1).is_unique());
}

TEST(JsonataValue, GetReadsObjectMembersOnly) {
  Value o = J(R"({"a":1,"b":{"c":"x"}})");
  EXPECT_EQ(o.Get("a").number(), 1);
  EXPECT_EQ(o.Get("b").Get("c").string(), "x");
  EXPECT_TRUE(o.Get("z").is_undefined());
  EXPECT_TRUE(J("[1]").Get("a").is_undefined());
  EXPECT_TRUE(Value::String("a").Get("a").is_undefined());
}

TEST(JsonataObjectData, SetReplacesOrAppendsInOrder) {
  ObjectData o;
  o.Set("b", Value::Number(1));
  o.Set("a", Value::Number(2));
  o.Set("b", Value::Number(3));
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o.members()[0].first, "b");
  EXPECT_EQ(o.members()[0].second.number(), 3);
  EXPECT_EQ(o.members()[1].first, "a");
  EXPECT_EQ(o.Find("a")->number(), 2);
  EXPECT_EQ(o.Find("c"), nullptr);
}

TEST(JsonataObjectData, ManyMembersAreFoundThroughTheIndex) {
  ObjectData o;
  for (int i = 0; i < 1000; ++i) o.Set("key" + std::to_string(i), Value::Number(i));
  for (int i = 0; i < 1000; i += 7) {
    ASSERT_NE(o.Find("key" + std::to_string(i)), nullptr) << i;
    EXPECT_EQ(o.Find("key" + std::to_string(i))->number(), i);
  }
  EXPECT_EQ(o.Find("key1000"), nullptr);
  o.Set("key5", Value::String("five"));
  EXPECT_EQ(o.size(), 1000u);
  EXPECT_EQ(o.Find("key5")->string(), "five");
  // Short keys (stored inline in std::string) survive the vector growing.
  ObjectData p;
  for (int i = 0; i < 100; ++i) p.Set(std::to_string(i), Value::Number(i));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(p.Find(std::to_string(i))->number(), i);
}

TEST(JsonataObjectData, CopiesHaveTheirOwnIndex) {
  auto original = std::make_unique<ObjectData>();
  for (int i = 0; i < 50; ++i) original->Set(std::to_string(i), Value::Number(i));
  ObjectData copy(*original);
  ObjectData assigned;
  assigned = *original;
  original.reset();  // the copies must not refer into it
  EXPECT_EQ(copy.Find("42")->number(), 42);
  EXPECT_EQ(assigned.Find("7")->number(), 7);
  copy.Set("new", Value::Null());
  EXPECT_TRUE(copy.Find("new")->is_null());
  EXPECT_EQ(assigned.Find("new"), nullptr);
  ObjectData moved(std::move(copy));
  EXPECT_EQ(moved.Find("new")->type(), Type::kNull);
}

TEST(JsonataObjectData, EraseKeepsOrderAndIndex) {
  ObjectData o;
  for (int i = 0; i < 20; ++i) o.Set("k" + std::to_string(i), Value::Number(i));
  EXPECT_TRUE(o.Erase("k3"));
  EXPECT_FALSE(o.Erase("k3"));
  EXPECT_EQ(o.size(), 19u);
  EXPECT_EQ(o.Find("k3"), nullptr);
  EXPECT_EQ(o.Find("k19")->number(), 19);
  EXPECT_EQ(o.members()[3].first, "k4");
  ObjectData small;
  small.Set("a", Value::Number(1));
  small.Set("b", Value::Number(2));
  EXPECT_TRUE(small.Erase("a"));
  EXPECT_EQ(small.members()[0].first, "b");
}

TEST(JsonataObjectData, ReserveAfterIndexing) {
  ObjectData o;
  for (int i = 0; i < 20; ++i) o.Set(std::to_string(i), Value::Number(i));
  o.Reserve(10000);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(o.Find(std::to_string(i))->number(), i);
}

TEST(JsonataJson, RoundTripKeepsMemberOrder) {
  const char* text = R"({"z":1,"a":[true,false,null,"s",1.5,-3],"m":{"y":{},"b":[]}})";
  EXPECT_EQ(Dump(J(text)), text);
  // nlohmann::json (sorted keys) converts too.
  Value v = FromJson(nlohmann::json::parse(R"({"b":1,"a":2})"));
  EXPECT_EQ(v.object().members()[0].first, "a");
  EXPECT_EQ(ToJson(v).dump(), R"({"a":2,"b":1})");
}

TEST(JsonataJson, NumbersBecomeDoublesAndIntegersComeBack) {
  Value v = J("[18446744073709551615, -9007199254740993, 9007199254740992, 0.1, -0.0, 1e300]");
  EXPECT_EQ(v.items()[0].number(), 18446744073709551615.0);
  EXPECT_EQ(v.items()[1].number(), -9007199254740992.0);
  OJson j = ToOrderedJson(v);
  EXPECT_TRUE(j[0].is_number_float());    // past 2^53
  EXPECT_TRUE(j[2].is_number_integer());  // 2^53
  EXPECT_EQ(j[2].get<int64_t>(), 9007199254740992);
  EXPECT_TRUE(j[3].is_number_float());
  EXPECT_TRUE(j[4].is_number_integer());  // -0 is 0
  EXPECT_EQ(j[4].get<int64_t>(), 0);
  EXPECT_EQ(ToOrderedJson(Value::Number(std::nan(""))), OJson());
  EXPECT_EQ(ToOrderedJson(Value::Number(HUGE_VAL)), OJson());
}

TEST(JsonataJson, UndefinedIsDroppedAndFunctionsAreEmptyStrings) {
  Value a = Value::MakeArray();
  a.Push(Value::Number(1));
  a.Push(Value());
  a.Push(Value::Func(std::make_shared<Dummy>()));
  Value o = Value::MakeObject();
  o.mutable_object().Set("gone", Value());
  o.mutable_object().Set("a", a);
  EXPECT_EQ(Dump(o), R"({"a":[1,""]})");
  EXPECT_EQ(Dump(Value()), "null");
}

TEST(JsonataNumberToString, FollowsJavaScript) {
  struct Case {
    double n;
    const char* s;
  } cases[] = {
      {0, "0"},
      {-0.0, "0"},
      {1, "1"},
      {-1, "-1"},
      {0.1, "0.1"},
      {0.1 + 0.2, "0.30000000000000004"},
      {123.456, "123.456"},
      {-123.456, "-123.456"},
      {1e20, "100000000000000000000"},
      {1e21, "1e+21"},
      {1.5e21, "1.5e+21"},
      {1e100, "1e+100"},
      {123456789012345680000.0, "123456789012345680000"},
      {1e-6, "0.000001"},
      {1.5e-6, "0.0000015"},
      {1e-7, "1e-7"},
      {1.5e-7, "1.5e-7"},
      {123.456e-10, "1.23456e-8"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {9007199254740992.0, "9007199254740992"},
      {90.57000000000001, "90.57000000000001"},
      {1234.5678, "1234.5678"},
      {std::nan(""), "NaN"},
      {HUGE_VAL, "Infinity"},
      {-HUGE_VAL, "-Infinity"},
  };
  for (const Case& c : cases) EXPECT_EQ(NumberToString(c.n), c.s) << c.s;
}

TEST(JsonataUnwrap, SequencesOfOneAndNone) {
  Value empty = Value::MakeSequence();
  EXPECT_TRUE(Unwrap(empty).is_undefined());
  Value one = Value::MakeSequence();
  one.Push(Value::Number(7));
  EXPECT_EQ(Unwrap(one).number(), 7);
  one.mutable_array().keep_singleton = true;
  EXPECT_TRUE(Unwrap(one).is_sequence());
  Value two = Value::MakeSequence();
  two.Push(Value::Number(1));
  two.Push(Value::Number(2));
  EXPECT_EQ(Unwrap(two).heap(), two.heap());
  Value plain = J("[5]");
  EXPECT_TRUE(Unwrap(plain).is_array());
  EXPECT_EQ(Unwrap(Value::String("s")).string(), "s");
}

TEST(JsonataDeepEqual, StructuralWithUnorderedMembers) {
  EXPECT_TRUE(
      DeepEqual(J(R"({"a":[1,{"b":null}],"c":"x"})"), J(R"({"c":"x","a":[1,{"b":null}]})")));
  EXPECT_FALSE(DeepEqual(J(R"({"a":1})"), J(R"({"a":1,"b":2})")));
  EXPECT_FALSE(DeepEqual(J(R"({"a":1,"b":3})"), J(R"({"a":1,"c":3})")));
  EXPECT_FALSE(DeepEqual(J("[1,2]"), J("[2,1]")));
  EXPECT_FALSE(DeepEqual(J("[]"), J("{}")));
  EXPECT_FALSE(DeepEqual(J("1"), J(R"("1")")));
  EXPECT_TRUE(DeepEqual(Value::Number(0), Value::Number(-0.0)));
  EXPECT_FALSE(DeepEqual(Value::Number(std::nan("")), Value::Number(std::nan(""))));
  EXPECT_TRUE(DeepEqual(Value(), Value()));
  EXPECT_TRUE(DeepEqual(Value::Null(), Value::Null()));
  EXPECT_FALSE(DeepEqual(Value(), Value::Null()));
  Value f = Value::Func(std::make_shared<Dummy>());
  EXPECT_TRUE(DeepEqual(f, f));
  EXPECT_FALSE(DeepEqual(f, Value::Func(std::make_shared<Dummy>())));
}

TEST(JsonataTypeName, NamesEveryType) {
  EXPECT_EQ(TypeName(Type::kUndefined), "undefined");
  EXPECT_EQ(TypeName(Type::kNull), "null");
  EXPECT_EQ(TypeName(Type::kBool), "boolean");
  EXPECT_EQ(TypeName(Type::kNumber), "number");
  EXPECT_EQ(TypeName(Type::kString), "string");
  EXPECT_EQ(TypeName(Type::kArray), "array");
  EXPECT_EQ(TypeName(Type::kObject), "object");
  EXPECT_EQ(TypeName(Type::kFunction), "function");
}

TEST(JsonataUtf8, CountsAndCutsCodePoints) {
  const std::string s = "a\xce\xbb\xf0\x9d\x84\x9e\xf0\x9f\x92\xa9z";  // aλ𝄞💩z
  EXPECT_EQ(CodePointCount(s), 5u);
  EXPECT_EQ(CodePointCount(""), 0u);
  EXPECT_EQ(CodePointSubstr(s, 1, 2), "\xce\xbb\xf0\x9d\x84\x9e");
  EXPECT_EQ(CodePointSubstr(s, 3, 100), "\xf0\x9f\x92\xa9z");
  EXPECT_EQ(CodePointSubstr(s, 9, 1), "");
  EXPECT_EQ(CodePointSubstr(s, 0, 0), "");
  std::vector<std::string_view> cps = CodePoints(s);
  ASSERT_EQ(cps.size(), 5u);
  EXPECT_EQ(cps[0], "a");
  EXPECT_EQ(cps[3], "\xf0\x9f\x92\xa9");
  EXPECT_TRUE(CodePoints("").empty());
}

TEST(JsonataCompareStrings, OrdersAsJavaScriptDoes) {
  EXPECT_LT(CompareStrings("a", "b"), 0);
  EXPECT_GT(CompareStrings("b", "a"), 0);
  EXPECT_EQ(CompareStrings("abc", "abc"), 0);
  EXPECT_LT(CompareStrings("ab", "abc"), 0);
  EXPECT_GT(CompareStrings("abc", "ab"), 0);
  EXPECT_LT(CompareStrings("Z", "a"), 0);
  EXPECT_LT(CompareStrings("z", "\xc3\xa9"), 0);  // é
  // U+1F600 is \ud83d\ude00 in UTF-16: before U+FFFF, after U+D7FF.
  EXPECT_LT(CompareStrings("\xf0\x9f\x98\x80", "\xef\xbf\xbf"), 0);
  EXPECT_GT(CompareStrings("\xef\xbf\xbf", "\xf0\x9f\x98\x80"), 0);
  EXPECT_GT(CompareStrings("\xf0\x9f\x98\x80", "\xed\x9f\xbf"), 0);
  EXPECT_LT(CompareStrings("x\xf0\x9f\x98\x80", "x\xee\x80\x80"), 0);  // U+E000
  EXPECT_LT(CompareStrings("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x81"), 0);
}

}  // namespace
}  // namespace stepd::asl::jsonata
