#pragma once
// Metrics: counters, gauges and histograms with labels, rendered in the
// Prometheus text exposition format (version 0.0.4) for GET /metrics.
//
//   metrics::Registry registry;
//   auto& finished = registry.AddCounter("stepd_executions_finished_total",
//                                        "Executions that ended, by outcome.",
//                                        {"state_machine", "status"});
//   finished.With({"nightly", "FAILED"}).Increment();
//   std::string text = registry.Render();
//
// A family is a metric name with its label names; each distinct tuple of
// label values is one series, created on first use. References returned by
// With() stay valid as long as the registry: hot paths look a series up once
// and keep it. A family holds at most Options::max_series series; further
// label values are counted in one series whose values are all "_other", so
// a flood of distinct values (names from requests) cannot exhaust memory or
// the scraper.
//
// Values that live elsewhere (queue depths, a component's Stats()) are read
// at render time through AddCallback, so nothing has to push them.
//
// Thread-safety: every method may be called from any thread. Increment,
// Set and Observe are lock-free; With() takes the family's lock. Callbacks
// run on the thread calling Render() and must not call back into the
// registry.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace stepd::metrics {

class Counter {
 public:
  void Increment(double by = 1);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double by);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative buckets as Prometheus has them: bucket i counts observations
// <= bounds[i]; +Inf is implicit.
class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);
  void Observe(double value);
  // For tests and rendering: per-bucket (not cumulative) counts, the last
  // one for +Inf; sum and count.
  std::vector<uint64_t> BucketCounts() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double>* bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// Bucket bounds for durations in seconds, 1 ms to 60 s.
const std::vector<double>& DurationBuckets();
// Bucket bounds for small counts (batch sizes): 1, 2, 4, ... 1024.
const std::vector<double>& SizeBuckets();

enum class MetricType { kCounter, kGauge, kHistogram };

template <class Metric>
class Family {
 public:
  // The series for `values`, one per label name in order; created on first
  // use. A wrong number of values is a programming error: the series of
  // "_other" values is returned.
  Metric& With(const std::vector<std::string>& values);

 private:
  friend class Registry;
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> bounds, size_t max_series);
  std::unique_ptr<Metric> Make() const;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> labels_;
  const std::vector<double> bounds_;  // histograms only
  const size_t max_series_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_;  // guarded by mu_
};

struct RegistryOptions {
  // Series per family before new label values go to "_other".
  size_t max_series = 2000;
};

class Registry {
 public:
  using Samples = std::vector<std::pair<std::vector<std::string>, double>>;

  explicit Registry(RegistryOptions options = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and be unique; label names
  // [a-zA-Z_][a-zA-Z0-9_]*. Violations are programming errors (abort).
  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> labels = {});
  Family<Gauge>& AddGauge(std::string name, std::string help, std::vector<std::string> labels = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> labels, std::vector<double> bounds);
  // A counter or gauge whose samples `read` returns at render time (label
  // values in the order of `labels`).
  void AddCallback(std::string name, std::string help, MetricType type,
                   std::vector<std::string> labels, std::function<Samples()> read);

  // The exposition text of every metric, in the order added.
  std::string Render() const;

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct Entry;
  void AddEntry(std::unique_ptr<Entry> entry);

  const RegistryOptions options_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;  // guarded by mu_
};

}  // namespace stepd::metrics
