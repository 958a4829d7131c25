// Call TuneAbseilForRelease() first thing in main() of every corsd binary.
//
// Debian builds Abseil without NDEBUG, so every absl::Mutex, gRPC's included,
// records lock order in a global graph to detect deadlocks. Under load that
// was about 8% of corsd's CPU (GraphCycles in `perf report`). Release builds
// of our binaries turn the detection off; Debug and sanitizer builds, which
// run the tests, keep it.
#ifndef CORSD_SERVICE_COMMON_RELEASE_TUNING_H_
#define CORSD_SERVICE_COMMON_RELEASE_TUNING_H_

#include "absl/synchronization/mutex.h"

namespace corsd {

inline void TuneAbseilForRelease() {
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

}  // namespace corsd

#endif  // CORSD_SERVICE_COMMON_RELEASE_TUNING_H_
