// Percentile summaries of a LatencyHistogram, in the units RESULTS.md uses:
// JSON with microsecond values, and one line of text.
//
//   LatencySummaryJson(h)  {"count": 1000, "p50_us": 81.2, ..., "max_us": 950.0}
//   LatencySummaryText(h)  "p50 81 us  p90 95 us  p99 140 us  p99.9 400 us  max 950 us"
#ifndef CORSD_BENCH_LOAD_LATENCY_REPORT_H_
#define CORSD_BENCH_LOAD_LATENCY_REPORT_H_

#include <string>

#include "bench/load/latency_histogram.h"
#include "nlohmann/json.hpp"

namespace corsd::bench {

nlohmann::json LatencySummaryJson(const LatencyHistogram& histogram);
std::string LatencySummaryText(const LatencyHistogram& histogram);

}  // namespace corsd::bench

#endif  // CORSD_BENCH_LOAD_LATENCY_REPORT_H_
