// BestTime(times, step): the shortest of `times` runs of step(i), for tests
// that guard how a cost scales by comparing two measurements taken side by
// side in one run. The minimum is what the code costs; everything above it
// is a shared machine's noise, which a ratio of minimums does not see.
//
//   absl::Duration small = BestTime(200, [&](int i) { registry.Apply(...); });
#ifndef CORSD_TESTS_SUPPORT_BEST_TIME_H_
#define CORSD_TESTS_SUPPORT_BEST_TIME_H_

#include <algorithm>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace corsd::testing {

template <typename Step>
absl::Duration BestTime(int times, Step step) {
  absl::Duration best = absl::InfiniteDuration();
  for (int i = 0; i < times; ++i) {
    const absl::Time start = absl::Now();
    step(i);
    best = std::min(best, absl::Now() - start);
  }
  return best;
}

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_BEST_TIME_H_
