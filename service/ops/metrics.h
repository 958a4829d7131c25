// A small Prometheus metrics registry: counters, gauges and histograms whose
// updates are lock-free atomics (they sit on the Check path), rendered in the
// Prometheus text exposition format on scrape.
//
//   MetricsRegistry registry;
//   Counter& checks = registry.AddCounter("corsd_check_total", "Check calls.",
//                                         {{"verdict", "ALLOW"}});
//   checks.Increment();
//   registry.AddCollector("corsd_policy_revision", "Current revision.", "gauge",
//                         [&](std::vector<Sample>* out) { ... });  // computed per scrape
//   std::string text = registry.Render();
//
// Metrics are registered at start-up; the registry owns them and keeps their
// addresses stable, so hot paths hold plain references.
#ifndef CORSD_SERVICE_OPS_METRICS_H_
#define CORSD_SERVICE_OPS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace corsd::ops {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `upper_bounds` ascending; +Inf is implied.
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  void ObserveDuration(absl::Duration d) { Observe(absl::ToDoubleSeconds(d)); }

  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Cumulative counts per bound, then the total count; and the sum.
  std::vector<uint64_t> CumulativeCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 buckets
  std::atomic<double> sum_{0};
};

// Latency buckets from 5 us to 1 s, for in-memory work and RPCs alike.
std::vector<double> LatencyBucketsSeconds();

struct Sample {
  Labels labels;
  double value;
};

class MetricsRegistry {
 public:
  Counter& AddCounter(const std::string& name, const std::string& help, Labels labels = {});
  Gauge& AddGauge(const std::string& name, const std::string& help, Labels labels = {});
  Histogram& AddHistogram(const std::string& name, const std::string& help,
                          std::vector<double> upper_bounds, Labels labels = {});
  // A family whose samples are computed on each scrape; `type` is "gauge" or
  // "counter".
  void AddCollector(const std::string& name, const std::string& help, const std::string& type,
                    std::function<void(std::vector<Sample>*)> collect);

  std::string Render() const;

 private:
  struct Family {
    std::string name;
    std::string help;
    std::string type;
    std::vector<std::pair<Labels, Counter*>> counters;
    std::vector<std::pair<Labels, Gauge*>> gauges;
    std::vector<std::pair<Labels, Histogram*>> histograms;
    std::function<void(std::vector<Sample>*)> collect;
  };
  Family& FamilyFor(const std::string& name, const std::string& help, const std::string& type)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::deque<Family> families_ ABSL_GUARDED_BY(mu_);
  std::deque<Counter> counters_ ABSL_GUARDED_BY(mu_);
  std::deque<Gauge> gauges_ ABSL_GUARDED_BY(mu_);
  std::deque<Histogram> histograms_ ABSL_GUARDED_BY(mu_);
};

}  // namespace corsd::ops

#endif  // CORSD_SERVICE_OPS_METRICS_H_
