#include "service/server/server_metrics.h"

#include <string>

namespace corsd::server {

ServerMetrics::ServerMetrics(ops::MetricsRegistry* registry)
    : store_write_duration(registry->AddHistogram(
          "corsd_store_write_duration_seconds",
          "Durable admin writes, from BEGIN to a synced COMMIT.", ops::LatencyBucketsSeconds())),
      store_up(registry->AddGauge("corsd_store_up", "1 when the policy store answers, else 0.")),
      policy_compile_errors(
          registry->AddCounter("corsd_policy_compile_errors_total",
                               "Stored policies that failed to compile and are served deny-all.")),
      sync_errors(registry->AddCounter("corsd_sync_errors_total",
                                       "Failed reads of the store's change feed.")),
      feed_reloads(registry->AddCounter(
          "corsd_feed_reloads_total",
          "Full reloads because retention pruned changes this process had not read.")),
      compacted_revisions(registry->AddCounter("corsd_compacted_total",
                                               "Rows deleted by retention (--keep-*).",
                                               {{"what", "policy_revisions"}})),
      compacted_audit_events(
          registry->AddCounter("corsd_compacted_total", "", {{"what", "audit_events"}})),
      compacted_changes(registry->AddCounter("corsd_compacted_total", "", {{"what", "changes"}})),
      registry_(registry),
      check_duration_(registry->AddHistogram("corsd_check_duration_seconds",
                                             "Check handling time inside corsd.",
                                             ops::LatencyBucketsSeconds())),
      check_not_found_(registry->AddCounter("corsd_check_errors_total",
                                            "Check calls answered with an error status.",
                                            {{"code", "NOT_FOUND"}})),
      check_invalid_argument_(
          registry->AddCounter("corsd_check_errors_total", "", {{"code", "INVALID_ARGUMENT"}})),
      check_other_error_(registry->AddCounter("corsd_check_errors_total", "", {{"code", "OTHER"}})),
      auth_unauthenticated_(registry->AddCounter("corsd_auth_failures_total",
                                                 "Admin calls rejected by authentication or "
                                                 "authorization.",
                                                 {{"code", "UNAUTHENTICATED"}})),
      auth_permission_denied_(
          registry->AddCounter("corsd_auth_failures_total", "", {{"code", "PERMISSION_DENIED"}})) {
  using engine::Reason;
  using engine::Verdict;
  for (Verdict v : {Verdict::kAllow, Verdict::kDeny, Verdict::kNotCors}) {
    for (int r = 1; r <= 7; ++r) {
      checks_[static_cast<int>(v)][r] = &registry->AddCounter(
          "corsd_check_total", "Check answers by verdict and reason.",
          {{"verdict", std::string(engine::VerdictName(v))},
           {"reason", std::string(engine::ReasonName(static_cast<Reason>(r)))}});
    }
  }
}

void ServerMetrics::RecordCheck(engine::Verdict verdict, engine::Reason reason,
                                absl::Duration latency) {
  checks_[static_cast<int>(verdict)][static_cast<int>(reason)]->Increment();
  check_duration_.ObserveDuration(latency);
}

void ServerMetrics::RecordCheckError(absl::StatusCode code) {
  if (code == absl::StatusCode::kNotFound) {
    check_not_found_.Increment();
  } else if (code == absl::StatusCode::kInvalidArgument) {
    check_invalid_argument_.Increment();
  } else {
    check_other_error_.Increment();
  }
}

void ServerMetrics::RecordAuthFailure(absl::StatusCode code) {
  (code == absl::StatusCode::kUnauthenticated ? auth_unauthenticated_ : auth_permission_denied_)
      .Increment();
}

}  // namespace corsd::server
