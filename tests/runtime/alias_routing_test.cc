#include "stepd/runtime/alias_routing.h"

#include <gtest/gtest.h>

#include <map>

namespace stepd::runtime {
namespace {

store::StateMachineAliasRecord Alias(std::vector<store::AliasRoute> routing) {
  store::StateMachineAliasRecord alias;
  alias.routing = std::move(routing);
  return alias;
}

TEST(AliasVersionAt, APointFallsInTheRouteItsWeightCovers) {
  const auto alias = Alias({{3, 90}, {4, 10}});
  EXPECT_EQ(AliasVersionAt(alias, 0), 3);
  EXPECT_EQ(AliasVersionAt(alias, 89), 3);
  EXPECT_EQ(AliasVersionAt(alias, 90), 4);
  EXPECT_EQ(AliasVersionAt(alias, 99), 4);
  EXPECT_EQ(AliasVersionAt(Alias({{7, 100}}), 55), 7);
}

TEST(PickAliasVersion, DrawsEveryRouteRoughlyByItsWeight) {
  const auto alias = Alias({{1, 50}, {2, 50}});
  std::map<int64_t, int> seen;
  for (int i = 0; i < 2000; ++i) ++seen[PickAliasVersion(alias)];
  ASSERT_EQ(seen.size(), 2u);
  // 2000 fair draws: each side lands within 800..1200 except with odds far
  // below one in a billion.
  EXPECT_GT(seen[1], 800);
  EXPECT_GT(seen[2], 800);
}

}  // namespace
}  // namespace stepd::runtime
