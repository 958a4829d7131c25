// The metrics corsd exports, registered once at start-up. Hot-path updates
// (RecordCheck) are relaxed atomic increments on pre-registered series.
//
//   corsd_check_total{api,verdict,reason}    decisions, by the door they came through
//   corsd_check_errors_total{api,code}       decision requests answered with an error
//   corsd_check_duration_seconds{api}        decision latency inside the server
// where api is "grpc" (corsd.v1 Check), "ext_authz" (Envoy) or "http";
//   corsd_http_refused_total{status}         HTTP requests the endpoint refused
//                                            before deciding (limits, framing, busy)
//   corsd_store_write_duration_seconds       durable admin writes (incl. fsync)
//   corsd_auth_failures_total{code}          rejected admin calls
//   corsd_store_up                           1 when the store answers
//   corsd_policy_compile_errors_total        stored policies that failed to compile
//   corsd_sync_errors_total                  failed change-feed reads
//   corsd_feed_reloads_total                 full reloads after the feed was compacted past us
//   corsd_compacted_total{what}              rows deleted by retention
//   corsd_snapshot_writes_total{result}      snapshot files written (--snapshot)
//   corsd_snapshot_write_duration_seconds    time to write one
// plus, computed per scrape by CorsdServer: corsd_policy_revision{tenant},
// corsd_snapshot_age_seconds, corsd_serving_from_snapshot, corsd_tenants,
// corsd_watchers.
#ifndef CORSD_SERVICE_SERVER_SERVER_METRICS_H_
#define CORSD_SERVICE_SERVER_SERVER_METRICS_H_

#include <array>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/engine/decision.h"
#include "service/ops/metrics.h"

namespace corsd::server {

// The doors a decision can come through; the `api` label of the Check
// metrics.
enum class Api { kGrpc = 0, kExtAuthz = 1, kHttp = 2 };
inline constexpr int kApiCount = 3;
absl::string_view ApiLabel(Api api);

class ServerMetrics {
 public:
  explicit ServerMetrics(ops::MetricsRegistry* registry);

  void RecordCheck(Api api, engine::Verdict verdict, engine::Reason reason, absl::Duration latency);
  void RecordCheckError(Api api, absl::StatusCode code);
  void RecordAuthFailure(absl::StatusCode code);
  // Thread-safe; for HttpServerOptions::on_refused.
  void RecordHttpRefusal(int status);

  ops::MetricsRegistry& registry() { return *registry_; }
  ops::Histogram& store_write_duration;
  ops::Gauge& store_up;
  ops::Counter& policy_compile_errors;
  ops::Counter& sync_errors;
  ops::Counter& feed_reloads;
  ops::Counter& compacted_revisions;
  ops::Counter& compacted_audit_events;
  ops::Counter& compacted_changes;
  ops::Counter& snapshot_writes_ok;
  ops::Counter& snapshot_writes_failed;
  ops::Histogram& snapshot_write_duration;

 private:
  ops::MetricsRegistry* registry_;
  struct PerApi {
    // [verdict][reason], both numbered from 1 like the proto enums.
    std::array<std::array<ops::Counter*, 8>, 4> checks{};
    ops::Histogram* duration = nullptr;
    ops::Counter* not_found = nullptr;
    ops::Counter* invalid_argument = nullptr;
    ops::Counter* other_error = nullptr;
  };
  std::array<PerApi, kApiCount> apis_;
  // Statuses the HTTP server answers itself, then "other".
  static constexpr std::array<int, 8> kRefusalStatuses = {400, 408, 413, 414, 431, 501, 503, 505};
  std::array<ops::Counter*, kRefusalStatuses.size() + 1> http_refused_{};
  ops::Counter& auth_unauthenticated_;
  ops::Counter& auth_permission_denied_;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_SERVER_METRICS_H_
