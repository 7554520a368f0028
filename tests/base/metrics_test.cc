#include "stepd/base/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace stepd::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Registry, RendersCountersWithHelpTypeAndEscapedLabels) {
  Registry registry;
  auto& family = registry.AddCounter("stepd_things_total", "Things.\nSecond line \\ here",
                                     {"name", "status"});
  family.With({"a\"b\\c\nd", "OK"}).Increment();
  family.With({"a\"b\\c\nd", "OK"}).Increment(2);
  family.With({"plain", "FAILED"}).Increment(0.5);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# HELP stepd_things_total Things.\\nSecond line \\\\ here\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE stepd_things_total counter\n"));
  EXPECT_THAT(text, HasSubstr("stepd_things_total{name=\"a\\\"b\\\\c\\nd\",status=\"OK\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("stepd_things_total{name=\"plain\",status=\"FAILED\"} 0.5\n"));
}

TEST(Registry, CountersNeverGoDown) {
  Registry registry;
  Counter& counter = registry.AddCounter("c_total", "c").With({});
  counter.Increment(3);
  counter.Increment(-2);
  EXPECT_EQ(counter.Value(), 3);
  EXPECT_THAT(registry.Render(), HasSubstr("\nc_total 3\n"));
}

TEST(Registry, GaugesGoBothWays) {
  Registry registry;
  Gauge& gauge = registry.AddGauge("g", "g", {"k"}).With({"v"});
  gauge.Set(10);
  gauge.Add(-4);
  EXPECT_THAT(registry.Render(), HasSubstr("g{k=\"v\"} 6\n"));
}

TEST(Registry, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry registry;
  Histogram& h = registry.AddHistogram("h_seconds", "h", {"route"}, {0.1, 1}).With({"/x"});
  h.Observe(0.05);
  h.Observe(0.1);  // on the bound: counted in le=0.1
  h.Observe(0.5);
  h.Observe(7);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE h_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("h_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("h_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("h_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("h_seconds_sum{route=\"/x\"} 7.65\n"));
  EXPECT_THAT(text, HasSubstr("h_seconds_count{route=\"/x\"} 4\n"));
}

TEST(Registry, CallbacksAreReadAtRenderTime) {
  Registry registry;
  int depth = 1;
  registry.AddCallback("queue_depth", "depth", MetricType::kGauge, {"queue"}, [&] {
    return Registry::Samples{{{"ready"}, static_cast<double>(depth)}, {{"wrong", "arity"}, 9}};
  });
  EXPECT_THAT(registry.Render(), HasSubstr("queue_depth{queue=\"ready\"} 1\n"));
  depth = 42;
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("queue_depth{queue=\"ready\"} 42\n"));
  EXPECT_THAT(text, Not(HasSubstr("arity")));
}

TEST(Registry, SeriesBeyondTheLimitCollapseIntoOther) {
  Registry registry(RegistryOptions{3});
  auto& family = registry.AddCounter("per_name_total", "n", {"name"});
  for (int i = 0; i < 10; ++i) family.With({"n" + std::to_string(i)}).Increment();
  family.With({"n0"}).Increment();  // an existing series still counts as itself
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("per_name_total{name=\"n0\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("per_name_total{name=\"_other\"} 7\n"));
  EXPECT_THAT(text, Not(HasSubstr("name=\"n5\"")));
}

TEST(Registry, WrongLabelArityGoesToOther) {
  Registry registry;
  auto& family = registry.AddCounter("x_total", "x", {"a", "b"});
  family.With({"only-one"}).Increment();
  EXPECT_THAT(registry.Render(), HasSubstr("x_total{a=\"_other\",b=\"_other\"} 1\n"));
}

TEST(Registry, ConcurrentIncrementsAreAllCounted) {
  Registry registry;
  auto& family = registry.AddCounter("n_total", "n", {"t"});
  auto& histogram = registry.AddHistogram("d", "d", {}, DurationBuckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        family.With({std::to_string(t % 2)}).Increment();
        histogram.With({}).Observe(0.002);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(family.With({"0"}).Value() + family.With({"1"}).Value(), 40000);
  EXPECT_EQ(histogram.With({}).Count(), 40000u);
  EXPECT_THAT(registry.Render(), HasSubstr("d_bucket{le=\"0.0025\"} 40000\n"));
}

TEST(RegistryDeathTest, InvalidOrDuplicateNamesAreProgrammingErrors) {
  EXPECT_DEATH(
      {
        Registry registry;
        registry.AddCounter("bad-name", "x");
      },
      "invalid metric name");
  EXPECT_DEATH(
      {
        Registry registry;
        registry.AddGauge("g", "x");
        registry.AddCounter("g", "x");
      },
      "added twice");
  EXPECT_DEATH(
      {
        Registry registry;
        registry.AddCounter("c", "x", {"le"});
      },
      "invalid label name");
}

}  // namespace
}  // namespace stepd::metrics
