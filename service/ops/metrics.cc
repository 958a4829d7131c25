#include "service/ops/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace corsd::ops {
namespace {

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrFormat("%.0f", v);
  return absl::StrFormat("%.9g", v);
}

void AppendLabels(const Labels& labels, std::string* out, const char* extra_key = nullptr,
                  const std::string& extra_value = "") {
  if (labels.empty() && extra_key == nullptr) return;
  out->push_back('{');
  bool first = true;
  auto add = [&](const std::string& key, const std::string& value) {
    if (!first) out->push_back(',');
    first = false;
    absl::StrAppend(out, key, "=\"");
    for (char c : value) {
      if (c == '\\' || c == '"') {
        out->push_back('\\');
        out->push_back(c);
      } else if (c == '\n') {
        out->append("\\n");
      } else {
        out->push_back(c);
      }
    }
    out->push_back('"');
  };
  for (const auto& [key, value] : labels) add(key, value);
  if (extra_key != nullptr) add(extra_key, extra_value);
  out->push_back('}');
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  double sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
  }
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> cumulative(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    cumulative[i] = running;
  }
  return cumulative;
}

std::vector<double> LatencyBucketsSeconds() {
  return {5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
          5e-3, 1e-2, 2.5e-2, 5e-2, 0.1,  0.25,   0.5,  1.0};
}

MetricsRegistry::Family& MetricsRegistry::FamilyFor(const std::string& name,
                                                    const std::string& help,
                                                    const std::string& type) {
  for (Family& family : families_) {
    if (family.name == name) return family;
  }
  Family& family = families_.emplace_back();
  family.name = name;
  family.help = help;
  family.type = type;
  return family;
}

Counter& MetricsRegistry::AddCounter(const std::string& name, const std::string& help,
                                     Labels labels) {
  absl::MutexLock lock(&mu_);
  Counter& counter = counters_.emplace_back();
  FamilyFor(name, help, "counter").counters.emplace_back(std::move(labels), &counter);
  return counter;
}

Gauge& MetricsRegistry::AddGauge(const std::string& name, const std::string& help, Labels labels) {
  absl::MutexLock lock(&mu_);
  Gauge& gauge = gauges_.emplace_back();
  FamilyFor(name, help, "gauge").gauges.emplace_back(std::move(labels), &gauge);
  return gauge;
}

Histogram& MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                         std::vector<double> upper_bounds, Labels labels) {
  absl::MutexLock lock(&mu_);
  Histogram& histogram = histograms_.emplace_back(std::move(upper_bounds));
  FamilyFor(name, help, "histogram").histograms.emplace_back(std::move(labels), &histogram);
  return histogram;
}

void MetricsRegistry::AddCollector(const std::string& name, const std::string& help,
                                   const std::string& type,
                                   std::function<void(std::vector<Sample>*)> collect) {
  absl::MutexLock lock(&mu_);
  FamilyFor(name, help, type).collect = std::move(collect);
}

std::string MetricsRegistry::Render() const {
  absl::MutexLock lock(&mu_);
  std::string out;
  for (const Family& family : families_) {
    absl::StrAppend(&out, "# HELP ", family.name, " ", family.help, "\n# TYPE ", family.name, " ",
                    family.type, "\n");
    for (const auto& [labels, counter] : family.counters) {
      out.append(family.name);
      AppendLabels(labels, &out);
      absl::StrAppend(&out, " ", counter->value(), "\n");
    }
    for (const auto& [labels, gauge] : family.gauges) {
      out.append(family.name);
      AppendLabels(labels, &out);
      absl::StrAppend(&out, " ", FormatValue(gauge->value()), "\n");
    }
    for (const auto& [labels, histogram] : family.histograms) {
      std::vector<uint64_t> cumulative = histogram->CumulativeCounts();
      const auto& bounds = histogram->upper_bounds();
      for (size_t i = 0; i <= bounds.size(); ++i) {
        absl::StrAppend(&out, family.name, "_bucket");
        AppendLabels(labels, &out, "le",
                     i < bounds.size() ? FormatValue(bounds[i]) : std::string("+Inf"));
        absl::StrAppend(&out, " ", cumulative[i], "\n");
      }
      absl::StrAppend(&out, family.name, "_sum");
      AppendLabels(labels, &out);
      absl::StrAppend(&out, " ", FormatValue(histogram->sum()), "\n", family.name, "_count");
      AppendLabels(labels, &out);
      absl::StrAppend(&out, " ", cumulative.back(), "\n");
    }
    if (family.collect) {
      std::vector<Sample> samples;
      family.collect(&samples);
      for (const Sample& sample : samples) {
        out.append(family.name);
        AppendLabels(sample.labels, &out);
        absl::StrAppend(&out, " ", FormatValue(sample.value), "\n");
      }
    }
  }
  return out;
}

}  // namespace corsd::ops
