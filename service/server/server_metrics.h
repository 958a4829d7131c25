// The metrics corsd exports, registered once at start-up. Hot-path updates
// (RecordCheck) are relaxed atomic increments on pre-registered series.
//
//   corsd_check_total{verdict,reason}        Check answers
//   corsd_check_errors_total{code}           Check calls answered with an error status
//   corsd_check_duration_seconds             Check latency inside the server
//   corsd_store_write_duration_seconds       durable admin writes (incl. fsync)
//   corsd_auth_failures_total{code}          rejected admin calls
//   corsd_store_up                           1 when the store answers
//   corsd_policy_compile_errors_total        stored policies that failed to compile
//   corsd_sync_errors_total                  failed change-feed reads
//   corsd_feed_reloads_total                 full reloads after the feed was compacted past us
//   corsd_compacted_total{what}              rows deleted by retention
// plus, computed per scrape by CorsdServer: corsd_policy_revision{tenant},
// corsd_snapshot_age_seconds, corsd_tenants, corsd_watchers.
#ifndef CORSD_SERVICE_SERVER_SERVER_METRICS_H_
#define CORSD_SERVICE_SERVER_SERVER_METRICS_H_

#include <array>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/engine/decision.h"
#include "service/ops/metrics.h"

namespace corsd::server {

class ServerMetrics {
 public:
  explicit ServerMetrics(ops::MetricsRegistry* registry);

  void RecordCheck(engine::Verdict verdict, engine::Reason reason, absl::Duration latency);
  void RecordCheckError(absl::StatusCode code);
  void RecordAuthFailure(absl::StatusCode code);

  ops::MetricsRegistry& registry() { return *registry_; }
  ops::Histogram& store_write_duration;
  ops::Gauge& store_up;
  ops::Counter& policy_compile_errors;
  ops::Counter& sync_errors;
  ops::Counter& feed_reloads;
  ops::Counter& compacted_revisions;
  ops::Counter& compacted_audit_events;
  ops::Counter& compacted_changes;

 private:
  ops::MetricsRegistry* registry_;
  // [verdict][reason], both numbered from 1 like the proto enums.
  std::array<std::array<ops::Counter*, 8>, 4> checks_{};
  ops::Histogram& check_duration_;
  ops::Counter& check_not_found_;
  ops::Counter& check_invalid_argument_;
  ops::Counter& check_other_error_;
  ops::Counter& auth_unauthenticated_;
  ops::Counter& auth_permission_denied_;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_SERVER_METRICS_H_
