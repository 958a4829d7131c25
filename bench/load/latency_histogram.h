// LatencyHistogram records durations in log-linear buckets, HdrHistogram
// style: exact below 128 ns, then 64 buckets per power of two (under 1.6%
// relative error) up to about 18 minutes. Recording is a few instructions
// and lock-free, so completion callbacks on any thread can share one.
//
//   LatencyHistogram h;
//   h.Record(absl::Microseconds(180));
//   h.Percentile(99.0);  // ~180 us
#ifndef CORSD_BENCH_LOAD_LATENCY_HISTOGRAM_H_
#define CORSD_BENCH_LOAD_LATENCY_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace corsd::bench {

class LatencyHistogram {
 public:
  LatencyHistogram();
  void Record(absl::Duration latency);
  void Reset();

  uint64_t count() const;
  // The value at or below which `percentile` percent of samples fall.
  absl::Duration Percentile(double percentile) const;
  absl::Duration Max() const { return absl::Nanoseconds(max_ns_.load()); }
  absl::Duration Mean() const;

 private:
  static constexpr int kLinear = 128;     // exact buckets for 0..127 ns
  static constexpr int kSubBuckets = 64;  // per power of two above that
  static constexpr int kPowers = 34;      // 2^7 .. 2^40 ns
  static constexpr int kBuckets = kLinear + kPowers * kSubBuckets;
  static int BucketOf(uint64_t ns);
  static uint64_t LowerBound(int bucket);

  std::array<std::atomic<uint64_t>, kBuckets> counts_;
  std::atomic<uint64_t> max_ns_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace corsd::bench

#endif  // CORSD_BENCH_LOAD_LATENCY_HISTOGRAM_H_
