#include "bench/load/latency_histogram.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace corsd::bench {
namespace {

// The histogram promises under 1.6% relative error above 128 ns.
void ExpectNear(absl::Duration actual, absl::Duration expected) {
  const double a = absl::ToDoubleNanoseconds(actual);
  const double e = absl::ToDoubleNanoseconds(expected);
  EXPECT_NEAR(a, e, e * 0.016 + 1) << "actual " << actual << ", expected " << expected;
}

TEST(LatencyHistogramTest, EmptyHistogramReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(99), absl::ZeroDuration());
  EXPECT_EQ(h.Max(), absl::ZeroDuration());
  EXPECT_EQ(h.Mean(), absl::ZeroDuration());
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int ns = 0; ns < 100; ++ns) h.Record(absl::Nanoseconds(ns));
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.Percentile(50), absl::Nanoseconds(49));
  EXPECT_EQ(h.Percentile(100), absl::Nanoseconds(99));
  EXPECT_EQ(h.Max(), absl::Nanoseconds(99));
}

TEST(LatencyHistogramTest, PercentilesOfAUniformRangeStayWithinTheBucketError) {
  LatencyHistogram h;
  // 1..10000 microseconds, one sample each.
  for (int us = 1; us <= 10'000; ++us) h.Record(absl::Microseconds(us));
  ExpectNear(h.Percentile(50), absl::Microseconds(5'000));
  ExpectNear(h.Percentile(90), absl::Microseconds(9'000));
  ExpectNear(h.Percentile(99), absl::Microseconds(9'900));
  ExpectNear(h.Percentile(99.9), absl::Microseconds(9'990));
  EXPECT_EQ(h.Max(), absl::Microseconds(10'000));
  ExpectNear(h.Mean(), absl::Nanoseconds(5'000'500));
}

TEST(LatencyHistogramTest, ATailShowsInTheHighPercentilesOnly) {
  LatencyHistogram h;
  for (int i = 0; i < 990; ++i) h.Record(absl::Microseconds(100));
  for (int i = 0; i < 10; ++i) h.Record(absl::Milliseconds(50));
  ExpectNear(h.Percentile(50), absl::Microseconds(100));
  ExpectNear(h.Percentile(99), absl::Microseconds(100));
  ExpectNear(h.Percentile(99.9), absl::Milliseconds(50));
  EXPECT_EQ(h.Max(), absl::Milliseconds(50));
}

TEST(LatencyHistogramTest, HugeAndNegativeValuesAreClampedNotLost) {
  LatencyHistogram h;
  h.Record(absl::Hours(5));
  h.Record(-absl::Seconds(1));
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.Percentile(0), absl::ZeroDuration());
  EXPECT_GT(h.Percentile(100), absl::Minutes(10));
}

TEST(LatencyHistogramTest, ConcurrentRecordingCountsEverySample) {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 25'000; ++i) h.Record(absl::Microseconds(1 + (i + t) % 500));
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(h.count(), 100'000u);
  EXPECT_EQ(h.Max(), absl::Microseconds(500));
}

TEST(LatencyHistogramTest, ResetForgetsEverything) {
  LatencyHistogram h;
  h.Record(absl::Milliseconds(3));
  h.Reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Max(), absl::ZeroDuration());
}

}  // namespace
}  // namespace corsd::bench
