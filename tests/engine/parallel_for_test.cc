// ParallelFor runs every index exactly once, across threads when there is
// enough work (run under ThreadSanitizer through engine_concurrency_tests).
#include "service/common/parallel_for.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace corsd {
namespace {

TEST(ParallelFor, RunsEveryIndexOnceOnEveryCore) {
  constexpr size_t kCount = 100'000;
  const bool several_cores = std::thread::hardware_concurrency() > 1;
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<int> visits(kCount, 0);
  std::atomic<bool> helper_ran{false};
  ParallelFor(kCount, [&](size_t i) {
    ++visits[i];  // each index belongs to one call: no lock
    if (std::this_thread::get_id() != caller) {
      helper_ran = true;
      return;
    }
    // The caller waits (at most 10 s) for a helper to take work, so the test
    // does not depend on how fast threads start on a loaded machine.
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (several_cores && !helper_ran && absl::Now() < deadline) {
      absl::SleepFor(absl::Microseconds(100));
    }
  });
  for (size_t i = 0; i < kCount; ++i) ASSERT_EQ(visits[i], 1) << i;
  if (several_cores) {
    EXPECT_TRUE(helper_ran) << "a start-up's worth of work ran on one thread";
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
