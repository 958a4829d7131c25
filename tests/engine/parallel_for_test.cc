// ParallelFor runs every index exactly once, across threads when there is
// enough work (run under ThreadSanitizer through engine_concurrency_tests).
#include "service/common/parallel_for.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace corsd {
namespace {

TEST(ParallelFor, RunsEveryIndexOnceOnEveryCore) {
  constexpr size_t kCount = 100'000;
  std::vector<int> visits(kCount, 0);
  absl::Mutex mu;
  absl::flat_hash_set<std::thread::id> threads;
  ParallelFor(kCount, [&](size_t i) {
    ++visits[i];  // each index belongs to one call: no lock
    if (i % 1000 == 0) {
      absl::MutexLock lock(&mu);
      threads.insert(std::this_thread::get_id());
    }
    // Slow enough that the helpers, which start a little later, get work.
    if (i % 100 == 0) absl::SleepFor(absl::Microseconds(50));
  });
  for (size_t i = 0; i < kCount; ++i) ASSERT_EQ(visits[i], 1) << i;
  if (std::thread::hardware_concurrency() > 1) {
    EXPECT_GT(threads.size(), 1u) << "a start-up's worth of work ran on one thread";
  }
}

TEST(ParallelFor, SmallAndEmptyCountsRunInline) {
  std::atomic<int> calls{0};
  ParallelFor(0, [&](size_t) { ++calls; });
  EXPECT_EQ(calls.load(), 0);
  const std::thread::id caller = std::this_thread::get_id();
  ParallelFor(10, [&](size_t) {
    ++calls;
    EXPECT_EQ(std::this_thread::get_id(), caller);
  });
  EXPECT_EQ(calls.load(), 10);
}

}  // namespace
}  // namespace corsd
