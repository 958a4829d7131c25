#include "service/server/shadow_reports.h"

#include "absl/strings/str_cat.h"
#include "service/convert/shadow_convert.h"
#include "service/convert/time_convert.h"
#include "service/engine/diagnostics.h"
#include "service/ops/log.h"

namespace corsd::server {
namespace {

absl::StatusOr<std::shared_ptr<const engine::ShadowPolicy>> FindShadow(
    const engine::TenantRegistry& registry, absl::string_view tenant) {
  std::shared_ptr<const engine::TenantDirectory> directory = registry.Load();
  const engine::TenantSnapshot* snapshot = directory->FindByName(tenant);
  if (snapshot == nullptr) {
    return absl::NotFoundError(absl::StrCat("no tenant named ", engine::QuoteForMessage(tenant)));
  }
  if (snapshot->shadow == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("tenant ", engine::QuoteForMessage(tenant),
                     " has no shadow policy here; set one with `corsctl policy shadow set`"));
  }
  return snapshot->shadow;
}

}  // namespace

absl::StatusOr<v1::ShadowReport> ShadowReports::Report(absl::string_view tenant) const {
  recorder_->Flush();
  absl::StatusOr<std::shared_ptr<const engine::ShadowPolicy>> shadow =
      FindShadow(*registry_, tenant);
  if (!shadow.ok()) return shadow.status();
  v1::ShadowReport report;
  report.set_tenant(std::string(tenant));
  ToTimestamp(absl::FromUnixMicros((*shadow)->updated_at_us), report.mutable_since());
  AppendShadowCounts((*shadow)->tally->Counts(), report.mutable_counts());
  AppendShadowSamples((*shadow)->tally->Samples(), report.mutable_samples());
  report.set_replica(replica_);
  return report;
}

absl::Status ShadowReports::AddReported(const v1::ReportShadowCountsRequest& request) const {
  if (request.counts_size() > kMaxReportedShadowCounts) {
    return absl::InvalidArgumentError(absl::StrCat("counts has ", request.counts_size(),
                                                   " entries; at most ", kMaxReportedShadowCounts,
                                                   " are accepted"));
  }
  if (request.samples_size() > kMaxReportedShadowSamples) {
    return absl::InvalidArgumentError(absl::StrCat("samples has ", request.samples_size(),
                                                   " entries; at most ", kMaxReportedShadowSamples,
                                                   " are accepted"));
  }
  absl::StatusOr<std::shared_ptr<const engine::ShadowPolicy>> shadow =
      FindShadow(*registry_, request.tenant());
  if (absl::IsNotFound(shadow.status()) && registry_->Load()->FindByName(request.tenant())) {
    return absl::OkStatus();  // the shadow is gone: counts for it are dropped
  }
  if (!shadow.ok()) return shadow.status();
  if (absl::ToUnixMicros(FromTimestamp(request.shadow_updated_at())) != (*shadow)->updated_at_us) {
    return absl::OkStatus();  // counted for an earlier shadow
  }
  AddToTally(request.counts(), request.samples(), absl::FromUnixMicros((*shadow)->updated_at_us),
             absl::Now(), (*shadow)->tally.get());
  ops::LogDebug("shadow_counts_reported")
      .Field("tenant", request.tenant())
      .Field("client", request.client())
      .Field("counts", request.counts_size())
      .Field("samples", request.samples_size());
  return absl::OkStatus();
}

void ShadowReports::CollectMetrics(std::vector<ops::Sample>* out) const {
  recorder_->Flush();
  std::shared_ptr<const engine::TenantDirectory> directory = registry_->Load();
  directory->tenants().ForEach([&](const engine::TenantDirectory::TenantMap::Entry& entry) {
    if (entry.value->shadow == nullptr) return;
    for (const engine::ShadowCountRow& row : entry.value->shadow->tally->Counts()) {
      out->push_back({{{"tenant", std::string(entry.key)},
                       {"active", std::string(engine::VerdictName(row.active))},
                       {"shadow", std::string(engine::VerdictName(row.shadow))},
                       {"reason", std::string(engine::ReasonName(row.shadow_reason))}},
                      static_cast<double>(row.count)});
    }
  });
}

}  // namespace corsd::server
