#include "service/server/decision_path.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/engine/diagnostics.h"
#include "service/engine/limits.h"
#include "service/ops/log.h"

namespace corsd::server {

absl::Status DecisionPath::FindTenant(const DecisionInput& input,
                                      const engine::TenantSnapshot** tenant) const {
  if (loaded_ != nullptr && !loaded_->load(std::memory_order_acquire)) {
    return absl::UnavailableError(
        "this corsd has no policies yet: its store has not answered since it started and it "
        "has no usable --snapshot; ask another replica, or retry");
  }
  if (!input.tenant.empty()) {
    if (input.tenant.size() > engine::kMaxTenantNameBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("tenant is longer than ", engine::kMaxTenantNameBytes, " bytes"));
    }
    *tenant = registry_->Read().FindByName(input.tenant);
    if (*tenant == nullptr) {
      return absl::NotFoundError(absl::StrCat("no tenant named ",
                                              engine::QuoteForMessage(input.tenant),
                                              " (create it with `corsctl tenant create`)"));
    }
    return absl::OkStatus();
  }
  if (!input.host.empty()) {
    if (input.host.size() > engine::kMaxRequestHostBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("host is longer than ", engine::kMaxRequestHostBytes, " bytes"));
    }
    *tenant = registry_->Read().FindByHost(input.host);
    if (*tenant == nullptr) {
      return absl::NotFoundError(absl::StrCat("no tenant serves host ",
                                              engine::QuoteForMessage(input.host),
                                              " (add it with `corsctl tenant update --host`)"));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("set tenant, or host so corsd can find the tenant");
}

absl::Status DecisionPath::Decide(Api api, const DecisionInput& input, engine::Decision* decision,
                                  const engine::TenantSnapshot** tenant) const {
  const absl::Time start = absl::Now();
  if (absl::Status status = FindTenant(input, tenant); !status.ok()) {
    metrics_->RecordCheckError(api, status.code());
    return status;
  }
  const engine::DecideOptions options{.explain = input.explain};
  if ((*tenant)->shadow != nullptr && shadows_ != nullptr) {
    // The shadow's shape is keyed on the same scan of the headers.
    const engine::CorsRequestHeaders cors = engine::ScanCorsRequestHeaders(input.request.headers);
    engine::Decide(*(*tenant)->policy, input.request, cors, options, decision);
    shadows_->Record((*tenant)->shadow, input.request, cors, decision->verdict, decision->reason);
  } else {
    engine::Decide(*(*tenant)->policy, input.request, options, decision);
  }
  metrics_->RecordCheck(api, decision->verdict, decision->reason, absl::Now() - start);
  if (log_options_.sample_every > 0) MaybeLogDecision(input, *decision, (*tenant)->name);
  return absl::OkStatus();
}

void DecisionPath::MaybeLogDecision(const DecisionInput& input, const engine::Decision& decision,
                                    absl::string_view tenant) const {
  thread_local int countdown = 0;
  if (--countdown > 0) return;
  countdown = log_options_.sample_every;
  if (log_options_.file != nullptr) {
    log_options_.file->Append(DecisionLogLine(tenant, input.request, decision, absl::Now()));
    return;
  }
  // The path is logged without its query, which may carry secrets.
  const absl::string_view path =
      input.request.path.substr(0, input.request.path.find_first_of("?#"));
  ops::LogInfo("decision")
      .Field("tenant", tenant)
      .Field("origin", input.request.origin)
      .Field("method", input.request.method)
      .Field("path", path)
      .Field("kind", engine::RequestKindName(decision.kind))
      .Field("verdict", engine::VerdictName(decision.verdict))
      .Field("reason", engine::ReasonName(decision.reason))
      .Field("revision", decision.policy_revision);
}

}  // namespace corsd::server
