// LoadRunner drives asynchronous calls and measures them.
//
//   closed loop  `concurrency` calls in flight; each completion starts the
//                next. Measures the most the server does for that many
//                clients.
//   open loop    calls start at a fixed rate whatever happens (`rps`);
//                latency counts from when each call was *due*, so a stall
//                shows up in the percentiles instead of silently slowing
//                the load (no coordinated omission).
//
// A call is any asynchronous RPC wrapped as `AsyncCall`: start it, and
// invoke `done` (from any thread) with its status code and a label to count
// (e.g. the verdict).
#ifndef CORSD_BENCH_LOAD_LOAD_RUNNER_H_
#define CORSD_BENCH_LOAD_LOAD_RUNNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "bench/load/latency_histogram.h"

namespace corsd::bench {

using CallDone = std::function<void(int status_code, const std::string& label)>;
using AsyncCall = std::function<void(CallDone done)>;

struct LoadOptions {
  int concurrency = 16;  // closed loop
  double rps = 0;        // > 0: open loop at this rate
  absl::Duration duration = absl::Seconds(10);
  int64_t requests = 0;  // > 0: stop after this many instead
};

struct LoadResult {
  std::string name;
  uint64_t completed = 0;
  absl::Duration elapsed;
  double throughput = 0;  // completed calls per second
  absl::Duration p50, p90, p99, p999, max, mean;
  std::map<int, uint64_t> status_counts;   // gRPC status code -> calls
  std::map<std::string, uint64_t> labels;  // e.g. verdict -> calls
  bool overloaded = false;                 // open loop fell so far behind it stopped issuing

  // Adds `other` (same kind of calls, measured separately) into this.
  void Merge(const LoadResult& other, const LatencyHistogram& merged);
};

// Runs `call` under `options`; a result named `name`. `histogram` receives
// every latency (callers merge phases through it).
LoadResult RunLoad(const std::string& name, const AsyncCall& call, const LoadOptions& options,
                   LatencyHistogram* histogram);

}  // namespace corsd::bench

#endif  // CORSD_BENCH_LOAD_LOAD_RUNNER_H_
