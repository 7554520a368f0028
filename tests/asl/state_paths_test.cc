#include <gtest/gtest.h>

#include "stepd/asl/state_paths.h"

namespace stepd::asl {
namespace {

TEST(SelectPath, AbsentIsIdentityAndNullIsEmptyObject) {
  SelectPath p;
  ASSERT_TRUE(SelectPath::Compile(nullptr, "InputPath", "/States/A/InputPath", nullptr, &p));
  EXPECT_EQ(p.kind(), SelectPath::Kind::kIdentity);
  const Json null_json;
  ASSERT_TRUE(SelectPath::Compile(&null_json, "InputPath", "/States/A/InputPath", nullptr, &p));
  EXPECT_EQ(p.Apply(Json{{"a", 1}}, EvalScope{}).value(), Json::object());
}

TEST(SelectPath, MissingNodeIsARuntimeErrorWithNormalisedPath) {
  SelectPath p;
  const Json text = "$.a.b[0]";
  ASSERT_TRUE(SelectPath::Compile(&text, "InputPath", "/x", nullptr, &p));
  auto r = p.Apply(Json{{"a", 1}}, EvalScope{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), (AslError{"States.Runtime",
                                 "Invalid path '$.a.b[0]' : No results for path: $['a']['b'][0]"}));
}

TEST(SelectPath, RejectsNonPaths) {
  SelectPath p;
  Diagnostics d;
  const Json text = "a.b";
  EXPECT_FALSE(SelectPath::Compile(&text, "OutputPath", "/States/A/OutputPath", &d, &p));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].location, "/States/A/OutputPath");
}

TEST(ResultPath, PlacesDiscardsOrReplaces) {
  ResultPath p;
  const Json text = "$.r";
  ASSERT_TRUE(ResultPath::Compile(&text, "/x", nullptr, &p));
  EXPECT_EQ(p.Apply(Json{{"a", 1}}, Json(2)).value(), (Json{{"a", 1}, {"r", 2}}));
  const Json null_json;
  ASSERT_TRUE(ResultPath::Compile(&null_json, "/x", nullptr, &p));
  EXPECT_EQ(p.Apply(Json{{"a", 1}}, Json(2)).value(), (Json{{"a", 1}}));
  ASSERT_TRUE(ResultPath::Compile(nullptr, "/x", nullptr, &p));
  EXPECT_EQ(p.Apply(Json{{"a", 1}}, Json(2)).value(), Json(2));
}

TEST(ResultPath, RejectsIndefinitePaths) {
  ResultPath p;
  Diagnostics d;
  const Json text = "$.a[*]";
  EXPECT_FALSE(ResultPath::Compile(&text, "/States/A/ResultPath", &d, &p));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].message, "The value for the field 'ResultPath' must be a valid ReferencePath");
}

}  // namespace
}  // namespace stepd::asl
