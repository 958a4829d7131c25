// LargeHeapSteps makes glibc grow the heap in 64 MiB steps while it lives,
// for bulk loads: a replica loading 100,000 tenants allocates ~270 MiB on
// every core, and glibc's default 128 KiB steps cost a system call and page
// faults in a fresh region each, and keep transparent huge pages from
// forming. On a 2-core virtual machine that made start-up 2.7-3.2 s instead
// of 1.5-2.0 s (bench/RESULTS.md, "fleet size").
//
//   {
//     LargeHeapSteps steps;   // only once the load is known to be large
//     ... allocate a lot ...
//   }                         // back to glibc's default step
//
// The padding costs address space, not memory (pages are resident once
// touched), but with huge pages each arena's partly used tail is resident in
// 2 MiB units, so small loads should not use it. An operator's own top pad
// (GLIBC_TUNABLES or MALLOC_TOP_PAD_) wins: then this does nothing.
//
// Setting any of these glibc parameters turns off glibc's own adjustment of
// the mmap and trim thresholds for the rest of the process, so the
// destructor sets them to where that adjustment would have taken them for
// corsd's allocations (a few MiB). mallopt is not thread-safe: use this only
// while nothing else allocates much, as corsd does for its first load,
// before it serves.
#ifndef CORSD_SERVICE_COMMON_LARGE_HEAP_STEPS_H_
#define CORSD_SERVICE_COMMON_LARGE_HEAP_STEPS_H_

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace corsd {

class LargeHeapSteps {
 public:
  LargeHeapSteps() : engaged_(!TunedByOperator()) {
    if (engaged_) mallopt(M_TOP_PAD, kLargeStepBytes);
  }
  ~LargeHeapSteps() {
    if (!engaged_) return;
    mallopt(M_TOP_PAD, kDefaultStepBytes);
    mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
    mallopt(M_TRIM_THRESHOLD, 2 * kMmapThresholdBytes);  // as glibc's adjustment keeps them
  }
  LargeHeapSteps(const LargeHeapSteps&) = delete;
  LargeHeapSteps& operator=(const LargeHeapSteps&) = delete;

 private:
  static constexpr int kLargeStepBytes = 64 << 20;
  static constexpr int kDefaultStepBytes = 128 << 10;  // glibc's DEFAULT_TOP_PAD
  static constexpr int kMmapThresholdBytes = 4 << 20;  // larger blocks get their own mapping

  static bool TunedByOperator() {
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    return std::getenv("MALLOC_TOP_PAD_") != nullptr ||
           (tunables != nullptr && std::strstr(tunables, "glibc.malloc.top_pad") != nullptr);
  }

  const bool engaged_;
};

}  // namespace corsd

#endif  // CORSD_SERVICE_COMMON_LARGE_HEAP_STEPS_H_
