// ParallelFor runs body(i) for every i in [0, count) on all cores: the
// calling thread and up to hardware_concurrency() - 1 short-lived threads,
// each taking chunks of consecutive indices from a shared counter (so a slow
// chunk does not leave the other cores idle). It returns when every call has.
//
//   std::vector<Compiled> out(states.size());
//   ParallelFor(states.size(), [&](size_t i) { out[i] = Compile(states[i]); });
//
// For start-up sized work (loading and compiling every tenant): starting the
// threads costs tens of microseconds, so small counts run inline. `body` must
// be safe to call concurrently for different indices and must not throw.
// When no thread can be started, the calling thread does the work alone.
#ifndef CORSD_SERVICE_COMMON_PARALLEL_FOR_H_
#define CORSD_SERVICE_COMMON_PARALLEL_FOR_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

namespace corsd {

template <typename Body>
void ParallelFor(size_t count, Body&& body) {
  constexpr size_t kChunk = 256;         // indices taken at a time
  constexpr size_t kInlineBelow = 1024;  // not worth a thread
  const size_t cores = std::max<size_t>(1, std::thread::hardware_concurrency());
  const size_t threads = count < kInlineBelow ? 1 : std::min(cores, (count + kChunk - 1) / kChunk);
  std::atomic<size_t> next{0};
  auto work = [&] {
    while (true) {
      const size_t begin = next.fetch_add(kChunk, std::memory_order_relaxed);
      if (begin >= count) return;
      const size_t end = std::min(count, begin + kChunk);
      for (size_t i = begin; i < end; ++i) body(i);
    }
  };
  std::vector<std::thread> helpers;
  helpers.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads (a pids limit): the ones started, and this one, do it all
    }
  }
  work();
  for (std::thread& helper : helpers) helper.join();
}

}  // namespace corsd

#endif  // CORSD_SERVICE_COMMON_PARALLEL_FOR_H_
