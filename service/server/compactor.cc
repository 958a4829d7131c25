#include "service/server/compactor.h"

#include "absl/time/clock.h"
#include "service/ops/log.h"

namespace corsd::server {

bool RetentionLimitsAnything(const store::Retention& keep) {
  return keep.policy_revisions > 0 || keep.audit_events > absl::ZeroDuration() ||
         keep.changes > absl::ZeroDuration();
}

absl::StatusOr<store::CompactionReport> CompactNow(store::PolicyStore* store,
                                                   const store::Retention& keep,
                                                   absl::string_view actor,
                                                   ServerMetrics* metrics) {
  const absl::Time start = absl::Now();
  absl::StatusOr<store::CompactionReport> report =
      store->Compact(keep, start, {.label = std::string(actor)});
  if (!report.ok()) {
    ops::LogError("compaction_failed").Field("error", report.status().message());
    return report;
  }
  if (metrics != nullptr) {
    metrics->compacted_revisions.Increment(report->policy_revisions);
    metrics->compacted_audit_events.Increment(report->audit_events);
    metrics->compacted_changes.Increment(report->changes);
  }
  ops::LogInfo("compacted")
      .Field("policy_revisions", report->policy_revisions)
      .Field("audit_events", report->audit_events)
      .Field("changes", report->changes)
      .Field("took", absl::Now() - start);
  return report;
}

Compactor::Compactor(store::PolicyStore* store, store::Retention keep, absl::Duration interval,
                     ServerMetrics* metrics)
    : store_(store), keep_(keep), interval_(interval), metrics_(metrics) {
  thread_ = std::thread([this] { Loop(); });
}

Compactor::~Compactor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void Compactor::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_)) return;
    }
    // Failures are logged; the next interval tries again.
    CompactNow(store_, keep_, "corsd", metrics_).IgnoreError();
  }
}

}  // namespace corsd::server
