#include "stepd/base/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace stepd::metrics {
namespace {

void AddDouble(std::atomic<double>& target, double by) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + by, std::memory_order_relaxed)) {
  }
}

bool ValidName(std::string_view name, bool colons) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                        (colons && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "metrics: %s\n", what.c_str());
  std::abort();
}

void AppendNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out.append(buf, ec == std::errc() ? end : buf);
  }
}

// Label values: backslash, double quote and line feed escaped.
void AppendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// HELP text: backslash and line feed escaped.
void AppendHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    AppendLabelValue(out, values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void AppendHeader(std::string& out, const std::string& name, const std::string& help,
                  std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  AppendHelp(out, help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void AppendSample(std::string& out, std::string_view name, const std::vector<std::string>& labels,
                  const std::vector<std::string>& values, double value) {
  out += name;
  AppendLabels(out, labels, values);
  out += ' ';
  AppendNumber(out, value);
  out += '\n';
}

}  // namespace

void Counter::Increment(double by) {
  if (by > 0) AddDouble(value_, by);
}

void Gauge::Add(double by) { AddDouble(value_, by); }

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_->size() && value > (*bounds_)[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AddDouble(sum_, value);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> counts(bounds_->size() + 1);
  for (size_t i = 0; i < counts.size(); ++i) {
    counts[i] = buckets_[i].load(std::memory_order_relaxed);
  }
  return counts;
}

const std::vector<double>& DurationBuckets() {
  static const std::vector<double> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                               0.25,  0.5,    1,     2.5,  5,     10,   30,
                                               60};
  return kBounds;
}

const std::vector<double>& SizeBuckets() {
  static const std::vector<double> kBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  return kBounds;
}

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> labels,
                       std::vector<double> bounds, size_t max_series)
    : name_(std::move(name)),
      help_(std::move(help)),
      labels_(std::move(labels)),
      bounds_(std::move(bounds)),
      max_series_(max_series) {}

template <class Metric>
std::unique_ptr<Metric> Family<Metric>::Make() const {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return std::make_unique<Histogram>(&bounds_);
  } else {
    return std::make_unique<Metric>();
  }
}

template <class Metric>
Metric& Family<Metric>::With(const std::vector<std::string>& values) {
  std::lock_guard lock(mu_);
  if (auto it = series_.find(values); it != series_.end() && values.size() == labels_.size()) {
    return *it->second;
  }
  std::vector<std::string> key = values;
  if (values.size() != labels_.size() || series_.size() >= max_series_) {
    key.assign(labels_.size(), "_other");
    if (auto it = series_.find(key); it != series_.end()) return *it->second;
  }
  auto [it, inserted] = series_.emplace(std::move(key), Make());
  return *it->second;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct Registry::Entry {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  std::vector<std::string> labels;
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  std::function<Samples()> read;
};

Registry::Registry(RegistryOptions options) : options_(options) {}

Registry::~Registry() = default;

void Registry::AddEntry(std::unique_ptr<Entry> entry) {
  if (!ValidName(entry->name, true)) Die("invalid metric name '" + entry->name + "'");
  for (const std::string& label : entry->labels) {
    if (!ValidName(label, false) || label == "le") {
      Die("invalid label name '" + label + "' of " + entry->name);
    }
  }
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (e->name == entry->name) Die("metric '" + entry->name + "' added twice");
  }
  entries_.push_back(std::move(entry));
}

Family<Counter>& Registry::AddCounter(std::string name, std::string help,
                                      std::vector<std::string> labels) {
  auto entry = std::make_unique<Entry>();
  entry->counters.reset(new Family<Counter>(name, help, labels, {}, options_.max_series));
  Family<Counter>& family = *entry->counters;
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = MetricType::kCounter;
  entry->labels = std::move(labels);
  AddEntry(std::move(entry));
  return family;
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help,
                                  std::vector<std::string> labels) {
  auto entry = std::make_unique<Entry>();
  entry->gauges.reset(new Family<Gauge>(name, help, labels, {}, options_.max_series));
  Family<Gauge>& family = *entry->gauges;
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = MetricType::kGauge;
  entry->labels = std::move(labels);
  AddEntry(std::move(entry));
  return family;
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help,
                                          std::vector<std::string> labels,
                                          std::vector<double> bounds) {
  for (size_t i = 1; i < bounds.size(); ++i) {
    if (!(bounds[i - 1] < bounds[i])) Die("bucket bounds of " + name + " are not increasing");
  }
  auto entry = std::make_unique<Entry>();
  entry->histograms.reset(
      new Family<Histogram>(name, help, labels, std::move(bounds), options_.max_series));
  Family<Histogram>& family = *entry->histograms;
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = MetricType::kHistogram;
  entry->labels = std::move(labels);
  AddEntry(std::move(entry));
  return family;
}

void Registry::AddCallback(std::string name, std::string help, MetricType type,
                           std::vector<std::string> labels, std::function<Samples()> read) {
  if (type == MetricType::kHistogram) Die("callback metric '" + name + "' cannot be a histogram");
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = type;
  entry->labels = std::move(labels);
  entry->read = std::move(read);
  AddEntry(std::move(entry));
}

std::string Registry::Render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    switch (e->type) {
      case MetricType::kCounter:
        AppendHeader(out, e->name, e->help, "counter");
        break;
      case MetricType::kGauge:
        AppendHeader(out, e->name, e->help, "gauge");
        break;
      case MetricType::kHistogram:
        AppendHeader(out, e->name, e->help, "histogram");
        break;
    }
    if (e->read) {
      for (const auto& [values, value] : e->read()) {
        if (values.size() != e->labels.size()) continue;
        AppendSample(out, e->name, e->labels, values, value);
      }
    } else if (e->counters) {
      std::lock_guard family_lock(e->counters->mu_);
      for (const auto& [values, counter] : e->counters->series_) {
        AppendSample(out, e->name, e->labels, values, counter->Value());
      }
    } else if (e->gauges) {
      std::lock_guard family_lock(e->gauges->mu_);
      for (const auto& [values, gauge] : e->gauges->series_) {
        AppendSample(out, e->name, e->labels, values, gauge->Value());
      }
    } else if (e->histograms) {
      std::lock_guard family_lock(e->histograms->mu_);
      const std::vector<double>& bounds = e->histograms->bounds_;
      for (const auto& [values, histogram] : e->histograms->series_) {
        // Read count first: buckets observed after it only make the buckets
        // larger, never smaller than the count a scraper compares with.
        const uint64_t count = histogram->Count();
        const double sum = histogram->Sum();
        std::vector<uint64_t> counts = histogram->BucketCounts();
        uint64_t cumulative = 0;
        for (size_t i = 0; i < counts.size(); ++i) {
          cumulative += counts[i];
          std::string le;
          AppendNumber(le, i < bounds.size() ? bounds[i] : INFINITY);
          out += e->name;
          out += "_bucket";
          AppendLabels(out, e->labels, values, "le", le);
          out += ' ';
          AppendNumber(out, static_cast<double>(i < bounds.size() ? cumulative
                                                                  : std::max(cumulative, count)));
          out += '\n';
        }
        AppendSample(out, e->name + "_sum", e->labels, values, sum);
        AppendSample(out, e->name + "_count", e->labels, values,
                     static_cast<double>(std::max(cumulative, count)));
      }
    }
  }
  return out;
}

}  // namespace stepd::metrics
