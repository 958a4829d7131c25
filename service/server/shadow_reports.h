// ShadowReports answers what a replica knows about its tenants' shadow
// policies: the report (GetShadowReport), the counts gateways send
// (ReportShadowCounts) and the Prometheus series. Counts live in each
// shadow's ShadowTally, reached through the registry; the recorder is
// flushed first, so a report includes every decision made before it.
//
//   ShadowReports reports(&registry, &recorder, "corsd-1");
//   ASSIGN_OR_RETURN(v1::ShadowReport report, reports.Report("shop"));
//
// Thread-safe.
#ifndef CORSD_SERVICE_SERVER_SHADOW_REPORTS_H_
#define CORSD_SERVICE_SERVER_SHADOW_REPORTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/corsd.pb.h"
#include "service/engine/shadow_recorder.h"
#include "service/engine/tenant_directory.h"
#include "service/ops/metrics.h"

namespace corsd::server {

// What one ReportShadowCounts may carry: more keys than there are
// (active, shadow, reason) combinations, or more samples than a report
// keeps, is INVALID_ARGUMENT.
inline constexpr int kMaxReportedShadowCounts = 64;
inline constexpr int kMaxReportedShadowSamples = 100;

class ShadowReports {
 public:
  ShadowReports(const engine::TenantRegistry* registry, engine::ShadowRecorder* recorder,
                std::string replica)
      : registry_(registry), recorder_(recorder), replica_(std::move(replica)) {}

  // NOT_FOUND for an unknown tenant or one without a shadow.
  absl::StatusOr<v1::ShadowReport> Report(absl::string_view tenant) const;
  // Adds a gateway's counts to the tenant's current shadow; counts for
  // another shadow (shadow_updated_at differs) are dropped, which is OK.
  absl::Status AddReported(const v1::ReportShadowCountsRequest& request) const;
  // corsd_shadow_decisions_total{tenant,active,shadow,reason}.
  void CollectMetrics(std::vector<ops::Sample>* out) const;

  const std::string& replica() const { return replica_; }

 private:
  const engine::TenantRegistry* const registry_;
  engine::ShadowRecorder* const recorder_;
  const std::string replica_;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_SHADOW_REPORTS_H_
