// Heap allocations made by the calling thread, counted by a replacement of the
// global operator new that the benchmarks link in. Per thread, so the
// client's own gRPC and watch threads do not blur a measurement:
//
//   const uint64_t before = ThreadAllocations();
//   for (...) client->CheckLocal(request, &view);
//   const uint64_t made = ThreadAllocations() - before;
#ifndef CORSD_BENCH_ALLOCATION_COUNTER_H_
#define CORSD_BENCH_ALLOCATION_COUNTER_H_

#include <cstdint>

namespace corsd::bench {

uint64_t ThreadAllocations();

}  // namespace corsd::bench

#endif  // CORSD_BENCH_ALLOCATION_COUNTER_H_
