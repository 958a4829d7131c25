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
      snapshot_writes_ok(registry->AddCounter(
          "corsd_snapshot_writes_total", "Snapshot files written for fail static (--snapshot).",
          {{"result", "ok"}})),
      snapshot_writes_failed(
          registry->AddCounter("corsd_snapshot_writes_total", "", {{"result", "error"}})),
      snapshot_write_duration(registry->AddHistogram("corsd_snapshot_write_duration_seconds",
                                                     "Time to capture and write one snapshot.",
                                                     ops::LatencyBucketsSeconds())),
      registry_(registry),
      auth_unauthenticated_(registry->AddCounter("corsd_auth_failures_total",
                                                 "Admin calls rejected by authentication or "
                                                 "authorization.",
                                                 {{"code", "UNAUTHENTICATED"}})),
      auth_permission_denied_(
          registry->AddCounter("corsd_auth_failures_total", "", {{"code", "PERMISSION_DENIED"}})) {
  using engine::Reason;
  using engine::Verdict;
  for (int a = 0; a < kApiCount; ++a) {
    const std::string api(ApiLabel(static_cast<Api>(a)));
    PerApi& per_api = apis_[a];
    for (Verdict v : {Verdict::kAllow, Verdict::kDeny, Verdict::kNotCors}) {
      for (int r = 1; r <= 7; ++r) {
        per_api.checks[static_cast<int>(v)][r] = &registry->AddCounter(
            "corsd_check_total", "Decisions by door (api), verdict and reason.",
            {{"api", api},
             {"verdict", std::string(engine::VerdictName(v))},
             {"reason", std::string(engine::ReasonName(static_cast<Reason>(r)))}});
      }
    }
    per_api.duration = &registry->AddHistogram("corsd_check_duration_seconds",
                                               "Decision time inside corsd, by door (api).",
                                               ops::LatencyBucketsSeconds(), {{"api", api}});
    per_api.not_found = &registry->AddCounter("corsd_check_errors_total",
                                              "Decision requests answered with an error status.",
                                              {{"api", api}, {"code", "NOT_FOUND"}});
    per_api.invalid_argument = &registry->AddCounter("corsd_check_errors_total", "",
                                                     {{"api", api}, {"code", "INVALID_ARGUMENT"}});
    per_api.other_error =
        &registry->AddCounter("corsd_check_errors_total", "", {{"api", api}, {"code", "OTHER"}});
  }
  for (size_t i = 0; i <= kRefusalStatuses.size(); ++i) {
    http_refused_[i] = &registry->AddCounter(
        "corsd_http_refused_total",
        "HTTP requests the endpoint answered itself before deciding (limits, framing, busy).",
        {{"status", i < kRefusalStatuses.size() ? std::to_string(kRefusalStatuses[i]) : "other"}});
  }
}

void ServerMetrics::RecordHttpRefusal(int status) {
  size_t i = 0;
  while (i < kRefusalStatuses.size() && kRefusalStatuses[i] != status) ++i;
  http_refused_[i]->Increment();
}

absl::string_view ApiLabel(Api api) {
  switch (api) {
    case Api::kGrpc:
      return "grpc";
    case Api::kExtAuthz:
      return "ext_authz";
    case Api::kHttp:
      return "http";
  }
  return "grpc";
}

void ServerMetrics::RecordCheck(Api api, engine::Verdict verdict, engine::Reason reason,
                                absl::Duration latency) {
  PerApi& per_api = apis_[static_cast<int>(api)];
  per_api.checks[static_cast<int>(verdict)][static_cast<int>(reason)]->Increment();
  per_api.duration->ObserveDuration(latency);
}

void ServerMetrics::RecordCheckError(Api api, absl::StatusCode code) {
  PerApi& per_api = apis_[static_cast<int>(api)];
  if (code == absl::StatusCode::kNotFound) {
    per_api.not_found->Increment();
  } else if (code == absl::StatusCode::kInvalidArgument) {
    per_api.invalid_argument->Increment();
  } else {
    per_api.other_error->Increment();
  }
}

void ServerMetrics::RecordAuthFailure(absl::StatusCode code) {
  (code == absl::StatusCode::kUnauthenticated ? auth_unauthenticated_ : auth_permission_denied_)
      .Increment();
}

}  // namespace corsd::server
