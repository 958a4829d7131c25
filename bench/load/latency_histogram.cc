#include "bench/load/latency_histogram.h"

#include <bit>

namespace corsd::bench {

LatencyHistogram::LatencyHistogram() { Reset(); }

void LatencyHistogram::Reset() {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
  max_ns_.store(0);
  sum_ns_.store(0);
}

int LatencyHistogram::BucketOf(uint64_t ns) {
  if (ns < kLinear) return static_cast<int>(ns);
  const int exponent = std::bit_width(ns) - 1;  // >= 7
  const int shift = exponent - 6;               // keep 7 significant bits: 64..127
  const int power = exponent - 7;
  if (power >= kPowers) return kBuckets - 1;
  const int sub = static_cast<int>(ns >> shift) - kSubBuckets;
  return kLinear + power * kSubBuckets + sub;
}

uint64_t LatencyHistogram::LowerBound(int bucket) {
  if (bucket < kLinear) return static_cast<uint64_t>(bucket);
  const int power = (bucket - kLinear) / kSubBuckets;
  const int sub = (bucket - kLinear) % kSubBuckets + kSubBuckets;
  return static_cast<uint64_t>(sub) << (power + 1);
}

void LatencyHistogram::Record(absl::Duration latency) {
  const int64_t ns = absl::ToInt64Nanoseconds(latency);
  const uint64_t value = ns < 0 ? 0 : static_cast<uint64_t>(ns);
  counts_[BucketOf(value)].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(value, std::memory_order_relaxed);
  uint64_t max = max_ns_.load(std::memory_order_relaxed);
  while (value > max && !max_ns_.compare_exchange_weak(max, value, std::memory_order_relaxed)) {
  }
}

uint64_t LatencyHistogram::count() const {
  uint64_t total = 0;
  for (const auto& c : counts_) total += c.load(std::memory_order_relaxed);
  return total;
}

absl::Duration LatencyHistogram::Percentile(double percentile) const {
  const uint64_t total = count();
  if (total == 0) return absl::ZeroDuration();
  const uint64_t rank =
      static_cast<uint64_t>(percentile / 100.0 * static_cast<double>(total) + 0.5);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i].load(std::memory_order_relaxed);
    if (seen >= rank && seen > 0) {
      // Report the bucket's upper edge (capped at the true max).
      const uint64_t upper = i + 1 < kBuckets ? LowerBound(i + 1) - 1 : LowerBound(i);
      return absl::Nanoseconds(std::min<uint64_t>(upper, max_ns_.load()));
    }
  }
  return Max();
}

absl::Duration LatencyHistogram::Mean() const {
  const uint64_t total = count();
  return total == 0 ? absl::ZeroDuration()
                    : absl::Nanoseconds(static_cast<double>(sum_ns_.load()) / total);
}

}  // namespace corsd::bench
