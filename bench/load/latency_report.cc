#include "bench/load/latency_report.h"

#include "absl/strings/str_format.h"

namespace corsd::bench {
namespace {

double Us(absl::Duration d) { return absl::ToDoubleMicroseconds(d); }

}  // namespace

nlohmann::json LatencySummaryJson(const LatencyHistogram& h) {
  return {{"count", h.count()},
          {"mean_us", Us(h.Mean())},
          {"p50_us", Us(h.Percentile(50))},
          {"p90_us", Us(h.Percentile(90))},
          {"p99_us", Us(h.Percentile(99))},
          {"p999_us", Us(h.Percentile(99.9))},
          {"max_us", Us(h.Max())}};
}

std::string LatencySummaryText(const LatencyHistogram& h) {
  return absl::StrFormat("p50 %.0f us  p90 %.0f us  p99 %.0f us  p99.9 %.0f us  max %.0f us",
                         Us(h.Percentile(50)), Us(h.Percentile(90)), Us(h.Percentile(99)),
                         Us(h.Percentile(99.9)), Us(h.Max()));
}

}  // namespace corsd::bench
