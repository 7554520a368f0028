#include "stepd/asl/json_path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stepd::asl {
namespace {

const Json& Store() {
  static const Json store = Json::parse(R"({
    "store": {
      "book": [
        {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
        {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
        {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick",
         "isbn": "0-553-21311-3", "price": 8.99},
        {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord",
         "isbn": "0-395-19395-8", "price": 22}
      ],
      "bicycle": {"color": "red", "price": 19.95}
    },
    "expensive": 10,
    "weird key": {"a.b": 1, "it's": 2, "q\"uote": 3},
    "nums": [0, 1, 2, 3, 4, 5],
    "flags": [{"on": true, "n": null}, {"on": false}, {"n": 1}]
  })");
  return store;
}

JsonPath MustParse(std::string_view text) {
  auto path = JsonPath::Parse(text);
  EXPECT_TRUE(path.ok()) << text << ": " << path.status().message();
  return std::move(path).value();
}

struct EvalCase {
  std::string path;
  std::string expected;  // JSON; "<none>" for a definite path that selects nothing
};

class JsonPathEvaluate : public ::testing::TestWithParam<EvalCase> {};

TEST_P(JsonPathEvaluate, SelectsWhatJaywaySelects) {
  const EvalCase& c = GetParam();
  JsonPath path = MustParse(c.path);
  std::optional<Json> got = path.Evaluate(Store());
  if (c.expected == "<none>") {
    EXPECT_FALSE(got.has_value()) << c.path << " gave " << got->dump();
  } else {
    ASSERT_TRUE(got.has_value()) << c.path;
    EXPECT_EQ(*got, Json::parse(c.expected)) << c.path;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Grammar, JsonPathEvaluate,
    ::testing::Values(
        // Definite paths: a node or nothing.
        EvalCase{"$.expensive", "10"},
        EvalCase{"$['expensive']", "10"},
        EvalCase{"$[\"expensive\"]", "10"},
        EvalCase{"$.store.bicycle.color", "\"red\""},
        EvalCase{"$.store['bicycle'][\"color\"]", "\"red\""},
        EvalCase{"$.store.book[0].title", "\"Sayings\""},
        EvalCase{"$.store.book[-1].title", "\"The Lord\""},
        EvalCase{"$.store.book[4]", "<none>"},
        EvalCase{"$.store.book[-5]", "<none>"},
        EvalCase{"$.missing", "<none>"},
        EvalCase{"$.expensive.deeper", "<none>"},
        EvalCase{"$.nums.x", "<none>"},
        EvalCase{"$.store[0]", "<none>"},
        EvalCase{"$['weird key']['a.b']", "1"},
        EvalCase{"$['weird key']['it\\'s']", "2"},
        EvalCase{"$['weird key'][\"q\\\"uote\"]", "3"},
        EvalCase{"$.flags[0].n", "null"},
        // Wildcards.
        EvalCase{"$.store.book[*].author",
                 R"(["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"])"},
        EvalCase{"$.store.bicycle.*", R"(["red",19.95])"},
        EvalCase{"$.nums[*]", "[0,1,2,3,4,5]"},
        EvalCase{"$.expensive[*]", "[]"},
        // Slices and unions.
        EvalCase{"$.nums[1:3]", "[1,2]"},
        EvalCase{"$.nums[:2]", "[0,1]"},
        EvalCase{"$.nums[4:]", "[4,5]"},
        EvalCase{"$.nums[-2:]", "[4,5]"},
        EvalCase{"$.nums[::2]", "[0,2,4]"},
        EvalCase{"$.nums[::-2]", "[5,3,1]"},
        EvalCase{"$.nums[2:100]", "[2,3,4,5]"},
        EvalCase{"$.nums[0,2,-1]", "[0,2,5]"},
        EvalCase{"$.nums[0,9]", "[0]"},
        EvalCase{"$.store.book[0,1].price", "[8.95,12.99]"},
        EvalCase{"$.store.bicycle['color','price']", R"({"color":"red","price":19.95})"},
        EvalCase{"$.store.bicycle['color','nope']", R"({"color":"red"})"},
        // Deep scan.
        EvalCase{"$..author",
                 R"(["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"])"},
        EvalCase{"$.store..price", "[8.95,12.99,8.99,22,19.95]"},
        EvalCase{"$..book[2].title", R"(["Moby Dick"])"},
        EvalCase{"$..book[-1:].author", R"(["J. R. R. Tolkien"])"},
        EvalCase{"$..nope", "[]"},
        // Filters.
        EvalCase{"$.store.book[?(@.price < 10)].title", R"(["Sayings","Moby Dick"])"},
        EvalCase{"$.store.book[?(@.price <= 8.99)].title", R"(["Sayings","Moby Dick"])"},
        EvalCase{"$.store.book[?(@.price > 12.99)].title", R"(["The Lord"])"},
        EvalCase{"$.store.book[?(@.price >= 12.99)].title", R"(["Sword","The Lord"])"},
        EvalCase{"$.store.book[?(@.price == 22)].title", R"(["The Lord"])"},
        EvalCase{"$.store.book[?(@.price == 22.0)].title", R"(["The Lord"])"},
        EvalCase{"$.store.book[?(@.category != 'fiction')].title", R"(["Sayings"])"},
        EvalCase{"$.store.book[?(@.category == \"reference\")].author", R"(["Nigel Rees"])"},
        EvalCase{"$.store.book[?(@.isbn)].title", R"(["Moby Dick","The Lord"])"},
        EvalCase{"$.store.book[?(!@.isbn)].title", R"(["Sayings","Sword"])"},
        EvalCase{"$.store.book[?(@.price < $.expensive)].title", R"(["Sayings","Moby Dick"])"},
        EvalCase{"$.store.book[?(@.category == 'fiction' && @.price < 20)].title",
                 R"(["Sword","Moby Dick"])"},
        EvalCase{"$.store.book[?(@.price > 20 || @.category == 'reference')].title",
                 R"(["Sayings","The Lord"])"},
        EvalCase{"$.store.book[?((@.price > 20 || @.price < 9) && @.isbn)].title",
                 R"(["Moby Dick","The Lord"])"},
        EvalCase{"$.store.book[?(@['title'] == 'Sword')].price", "[12.99]"},
        EvalCase{"$.store.book[?(@.author =~ /.*melville/i)].title", R"(["Moby Dick"])"},
        EvalCase{"$.flags[?(@.on == true)]", R"([{"on":true,"n":null}])"},
        EvalCase{"$.flags[?(@.on == false)]", R"([{"on":false}])"},
        EvalCase{"$.flags[?(@.n == null)]", R"([{"on":true,"n":null}])"},
        EvalCase{"$.flags[?(@.n)]", R"([{"on":true,"n":null},{"n":1}])"},
        EvalCase{"$.flags[?(@.n != 1)]", R"([{"on":true,"n":null},{"on":false}])"},
        EvalCase{"$.nums[?(@ > 3)]", "[4,5]"},
        EvalCase{"$.nums[?(@ == '2')]", "[2]"},
        EvalCase{"$.nums[?(@ < 'x')]", "[]"},
        EvalCase{"$.store.bicycle[?(@.color == 'red')].price", "[19.95]"},
        EvalCase{"$..book[?(@.price > 20)].author", R"(["J. R. R. Tolkien"])"},
        // Functions.
        EvalCase{"$.nums.length()", "6"},
        EvalCase{"$.nums.size()", "6"},
        EvalCase{"$.store.book.length()", "4"},
        EvalCase{"$.store.bicycle.length()", "2"},
        EvalCase{"$.store.bicycle.color.length()", "3"},
        EvalCase{"$.store.book[*].author.length()", "4"},
        EvalCase{"$.nums.sum()", "15.0"},
        EvalCase{"$.nums.min()", "0.0"},
        EvalCase{"$.nums.max()", "5.0"},
        EvalCase{"$.nums.avg()", "2.5"},
        EvalCase{"$.store..price.max()", "22.0"},
        EvalCase{"$.store.bicycle.keys()", R"(["color","price"])"},
        EvalCase{"$.nums.first()", "0"},
        EvalCase{"$.nums.last()", "5"},
        EvalCase{"$.store.book[?(@.price < 10)].title.first()", R"("Sayings")"},
        EvalCase{"$.missing.length()", "<none>"},
        EvalCase{"$.expensive.max()", "<none>"},
        EvalCase{"$.store.book[?(@.title.length() > 7)].title", R"(["Moby Dick","The Lord"])"}));

TEST(JsonPath, StddevIsThePopulationDeviation) {
  std::optional<Json> got = MustParse("$.stddev()").Evaluate(Json::parse("[2, 4, 4, 4, 5, 5, 7, 9]"));
  ASSERT_TRUE(got.has_value());
  EXPECT_DOUBLE_EQ(got->get<double>(), 2.0);
}

TEST(JsonPath, RootSelectsWholeDocument) {
  JsonPath path = MustParse("$");
  EXPECT_TRUE(path.IsRoot());
  EXPECT_TRUE(path.IsDefinite());
  EXPECT_EQ(path.Evaluate(Store()), Store());
  EXPECT_EQ(path.Find(Store()), &Store());
}

TEST(JsonPath, DefinitenessFollowsTheSelectors) {
  for (const char* definite : {"$", "$.a", "$['a'].b[0]", "$.a[-1]", "$.a.b.c"}) {
    EXPECT_TRUE(MustParse(definite).IsDefinite()) << definite;
  }
  for (const char* indefinite : {"$.*", "$.a[*]", "$.a[0:1]", "$.a[0,1]", "$['a','b']", "$..a",
                                 "$.a[?(@.b)]", "$..[0]", "$.a.length()"}) {
    EXPECT_FALSE(MustParse(indefinite).IsDefinite()) << indefinite;
  }
}

TEST(JsonPath, FindBorrowsTheNodeInsteadOfCopying) {
  JsonPath path = MustParse("$.store.bicycle");
  const Json* found = path.Find(Store());
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found, &Store()["store"]["bicycle"]);
  EXPECT_EQ(MustParse("$.store.nothing").Find(Store()), nullptr);
  EXPECT_EQ(MustParse("$.store.*").Find(Store()), nullptr);
}

TEST(JsonPath, IndefinitePathWithNoMatchIsAnEmptyArrayNotAbsent) {
  std::optional<Json> got = MustParse("$.store.book[?(@.price > 1000)]").Evaluate(Store());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Json::array());
}

TEST(JsonPath, IntegersAndFloatsKeepTheirKind) {
  Json doc = Json::parse(R"({"i": 3, "f": 3.0})");
  EXPECT_TRUE(MustParse("$.i").Evaluate(doc)->is_number_integer());
  EXPECT_TRUE(MustParse("$.f").Evaluate(doc)->is_number_float());
  EXPECT_EQ(MustParse("$[?(@ == 3)]").Evaluate(Json::parse("[3, 3.0, 4]"))->dump(), "[3,3.0]");
}

TEST(JsonPath, TextAndNormalizedForm) {
  JsonPath path = MustParse("$.a.b[0]");
  EXPECT_EQ(path.text(), "$.a.b[0]");
  EXPECT_EQ(path.Normalized(), "$['a']['b'][0]");
  EXPECT_EQ(MustParse("$..x[*][1:2]['p','q'][?(@.z)]").Normalized(),
            "$..['x'][*][1:2]['p','q'][?]");
  EXPECT_EQ(MustParse("$['it\\'s']").Normalized(), "$['it\\'s']");
  EXPECT_EQ(MustParse("$.a.length()").Normalized(), "$['a'].length()");
}

struct ParseErrorCase {
  std::string path;
  std::string message;
};

class JsonPathParseError : public ::testing::TestWithParam<ParseErrorCase> {};

TEST_P(JsonPathParseError, IsInvalidArgumentNamingTheProblem) {
  auto path = JsonPath::Parse(GetParam().path);
  ASSERT_FALSE(path.ok()) << GetParam().path;
  EXPECT_EQ(path.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(path.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Grammar, JsonPathParseError,
    ::testing::Values(
        ParseErrorCase{"", "Invalid JSONPath '': must start with '$' at position 0"},
        ParseErrorCase{"a.b", "Invalid JSONPath 'a.b': must start with '$' at position 0"},
        ParseErrorCase{"$.", "Invalid JSONPath '$.': expected a member name after '.' at position 2"},
        ParseErrorCase{"$..", "Invalid JSONPath '$..': expected a member name after '.' at position 3"},
        ParseErrorCase{"$a", "Invalid JSONPath '$a': unexpected character 'a' at position 1"},
        ParseErrorCase{"$.a b", "Invalid JSONPath '$.a b': unexpected character ' ' at position 3"},
        ParseErrorCase{"$[", "Invalid JSONPath '$[': unterminated '[' at position 2"},
        ParseErrorCase{"$[0", "Invalid JSONPath '$[0': expected ']' at position 3"},
        ParseErrorCase{"$['a", "Invalid JSONPath '$['a': unterminated quoted string at position 4"},
        ParseErrorCase{"$[a]", "Invalid JSONPath '$[a]': unexpected character 'a' after '[' at position 2"},
        ParseErrorCase{"$[1,]", "Invalid JSONPath '$[1,]': expected an array index after ',' at position 4"},
        ParseErrorCase{"$[::0]", "Invalid JSONPath '$[::0]': slice step cannot be zero at position 5"},
        ParseErrorCase{"$[?@.a]", "Invalid JSONPath '$[?@.a]': expected '(' after '?' at position 3"},
        ParseErrorCase{"$[?(@.a == )]",
                       "Invalid JSONPath '$[?(@.a == )]': unexpected character ')' in filter at position 11"},
        ParseErrorCase{"$[?(@.a > 1]",
                       "Invalid JSONPath '$[?(@.a > 1]': expected ')' closing the filter at position 11"},
        ParseErrorCase{"$[?(1)]",
                       "Invalid JSONPath '$[?(1)]': a filter needs a path operand or a comparison at position 5"},
        ParseErrorCase{"$[?(@.a =~ 'x')]",
                       "Invalid JSONPath '$[?(@.a =~ 'x')]': expected a /regex/ after '=~' at position 11"},
        ParseErrorCase{"$.a]", "Invalid JSONPath '$.a]': unexpected character ']' at position 3"},
        ParseErrorCase{"$.a.nope()", "Invalid JSONPath '$.a.nope()': unknown function 'nope' at position 8"},
        ParseErrorCase{"$.a.length(1)",
                       "Invalid JSONPath '$.a.length(1)': function 'length' takes no arguments at position 11"},
        ParseErrorCase{"$.a.length().b",
                       "Invalid JSONPath '$.a.length().b': a function must end the path at position 12"}));

TEST(JsonPathAssignAt, RootReplacesTheWholeInput) {
  auto out = MustParse("$").AssignAt(Json::parse(R"({"a":1})"), Json("x"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value(), Json("x"));
}

TEST(JsonPathAssignAt, AddsMemberAfterExistingOnes) {
  auto out = MustParse("$.result").AssignAt(Json::parse(R"({"a":1})"), Json::parse("[1,2]"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value().dump(), R"({"a":1,"result":[1,2]})");
}

TEST(JsonPathAssignAt, ReplacesExistingMemberInPlace) {
  auto out = MustParse("$.a").AssignAt(Json::parse(R"({"a":1,"b":2})"), Json(3));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value().dump(), R"({"a":3,"b":2})");
}

TEST(JsonPathAssignAt, CreatesIntermediateObjects) {
  auto out = MustParse("$.x.y['z']").AssignAt(Json::parse(R"({"a":1})"), Json(true));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value().dump(), R"({"a":1,"x":{"y":{"z":true}}})");
}

TEST(JsonPathAssignAt, DescendsIntoExistingObjectsAndArrays) {
  auto out = MustParse("$.list[1].v").AssignAt(Json::parse(R"({"list":[{},{"w":0}]})"), Json(5));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value().dump(), R"({"list":[{},{"w":0,"v":5}]})");
  auto last = MustParse("$.list[-1]").AssignAt(Json::parse(R"({"list":[1,2]})"), Json(9));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last.value().dump(), R"({"list":[1,9]})");
}

TEST(JsonPathAssignAt, FailsThroughANonObjectAsAwsDoes) {
  auto out = MustParse("$.a.b").AssignAt(Json::parse(R"({"a":"text"})"), Json(1));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error(), (AslError{"States.ResultPathMatchFailure",
                                   "Unable to apply ResultPath \"$.a.b\" to input \"{\"a\":\"text\"}\""}));
}

TEST(JsonPathAssignAt, FailsWhenTheInputIsNotAnObject) {
  auto out = MustParse("$.r").AssignAt(Json("hello"), Json(1));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().error, "States.ResultPathMatchFailure");
  EXPECT_EQ(out.error().cause, "Unable to apply ResultPath \"$.r\" to input \"\"hello\"\"");
}

TEST(JsonPathAssignAt, FailsForAnIndexOutOfRange) {
  auto out = MustParse("$.list[2]").AssignAt(Json::parse(R"({"list":[1]})"), Json(1));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().error, "States.ResultPathMatchFailure");
}

TEST(JsonPathAssignAt, RefusesAnIndefinitePath) {
  auto out = MustParse("$.list[*]").AssignAt(Json::parse(R"({"list":[1]})"), Json(1));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().error, "States.ResultPathMatchFailure");
}

TEST(JsonPath, CopiesShareTheParsedFormAndEvaluateIdentically) {
  JsonPath a = MustParse("$.store.book[?(@.price < 10)].title");
  JsonPath b = a;
  EXPECT_EQ(b.text(), a.text());
  EXPECT_EQ(b.Evaluate(Store()), a.Evaluate(Store()));
}

// Found by the fuzzer: thousands of '(' in a filter overflowed the parser's
// stack. Nesting is bounded; real paths stay far below the bound.
TEST(JsonPath, FiltersNestedPastTheBoundAreRefusedNotOverflowed) {
  for (const std::string& open : {std::string("("), std::string("!"), std::string("@[?(")}) {
    std::string text = "$[?(";
    for (int i = 0; i < 5000; ++i) text += open;
    auto path = JsonPath::Parse(text + "@.a");
    ASSERT_FALSE(path.ok()) << open;
    EXPECT_THAT(path.status().message(), ::testing::HasSubstr("nested deeper than 64 levels"));
  }
  std::string ok = "$.store.book[?(";
  for (int i = 0; i < 20; ++i) ok += "(";
  ok += "@.price < 10";
  for (int i = 0; i < 20; ++i) ok += ")";
  ok += ")].title";
  std::optional<Json> got = MustParse(ok).Evaluate(Store());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Json::parse(R"(["Sayings","Moby Dick"])"));
}

}  // namespace
}  // namespace stepd::asl
