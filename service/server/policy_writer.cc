#include "service/server/policy_writer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/convert/policy_convert.h"
#include "service/engine/policy_compiler.h"
#include "service/engine/tenant_names.h"
#include "service/ops/log.h"
#include "service/server/grpc_status.h"
#include "service/server/policy_resolver.h"
#include "service/server/proto_records.h"
#include "service/store/record_limits.h"

namespace corsd::server {
namespace {

absl::Status CheckLength(absl::string_view field, const std::string& value, size_t limit) {
  if (value.size() <= limit) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " is longer than ", limit, " bytes"));
}

// The record CreateTenant / UpdateTenant store: name and description
// checked, hosts normalized.
absl::StatusOr<store::TenantRecord> TenantToStore(const TenantWrite& tenant) {
  RETURN_IF_ERROR(engine::ValidateTenantName(tenant.name));
  RETURN_IF_ERROR(CheckLength("description", tenant.description, store::kMaxDescriptionBytes));
  ASSIGN_OR_RETURN(std::vector<std::string> hosts, engine::NormalizeHosts(tenant.hosts));
  return store::TenantRecord{
      .name = tenant.name, .hosts = std::move(hosts), .description = tenant.description};
}

// Checks shared by both policy writes.
absl::Status CheckPolicyWrite(const std::string& tenant, const std::string& comment) {
  RETURN_IF_ERROR(engine::ValidateTenantName(tenant));
  return CheckLength("comment", comment, store::kMaxCommentBytes);
}

// Runs `write` (resolve, then store) again while what it resolved against
// changed before it committed.
template <typename Write>
auto WithRetries(Write write) -> decltype(write()) {
  for (int attempt = 1;; ++attempt) {
    auto result = write();
    if (result.ok() || !store::IsRetryable(result.status()) || attempt == kResolveAttempts) {
      return result;
    }
  }
}

void LogTenantWrite(absl::string_view event, const store::TenantRecord& tenant,
                    const store::Actor& actor) {
  ops::LogInfo(event)
      .Field("tenant", tenant.name)
      .Field("hosts", absl::StrJoin(tenant.hosts, ","))
      .Field("actor", actor.label);
}

}  // namespace

void PolicyWriter::PublishFromFeed() {
  if (absl::Status s = sync_->CatchUp(); !s.ok()) {
    // The write is durable; the poller publishes it once the store answers
    // again.
    ops::LogWarning("publish_after_write_failed").Field("error", s.message());
  }
}

v1::PolicyVersion PolicyWriter::PublishPolicyWrite(
    const store::PolicyRevisionRecord& written, const v1::Policy& policy,
    const v1::Policy* resolved, std::shared_ptr<const engine::CompiledPolicy> compiled) {
  v1::PolicyVersion version = ToPolicyVersionProto(written, policy, resolved);
  if (absl::Status s = sync_->PublishCommitted(version, written.tenant_created_at,
                                               compiled->WithRevision(written.revision));
      !s.ok()) {
    ops::LogWarning("publish_after_write_failed").Field("error", s.message());
  }
  return version;
}

absl::StatusOr<store::TenantRecord> PolicyWriter::WriteTenant(
    const TenantWrite& tenant, const store::Actor& actor, absl::string_view event,
    absl::FunctionRef<absl::StatusOr<store::TenantRecord>(const store::TenantRecord&)> store) {
  ASSIGN_OR_RETURN(store::TenantRecord record, TenantToStore(tenant));
  ASSIGN_OR_RETURN(store::TenantRecord written, store(record));
  PublishFromFeed();
  LogTenantWrite(event, written, actor);
  return written;
}

absl::StatusOr<store::TenantRecord> PolicyWriter::CreateTenant(const TenantWrite& tenant,
                                                               const store::Actor& actor) {
  return WriteTenant(tenant, actor, "tenant_created", [&](const store::TenantRecord& record) {
    return store_->CreateTenant(record, actor);
  });
}

absl::StatusOr<store::TenantRecord> PolicyWriter::UpdateTenant(const TenantWrite& tenant,
                                                               const store::Actor& actor) {
  return WriteTenant(tenant, actor, "tenant_updated", [&](const store::TenantRecord& record) {
    return store_->UpdateTenant(record, actor);
  });
}

absl::Status PolicyWriter::DeleteTenant(absl::string_view name, const store::Actor& actor) {
  RETURN_IF_ERROR(engine::ValidateTenantName(name));
  RETURN_IF_ERROR(store_->DeleteTenant(name, actor));
  PublishFromFeed();
  ops::LogInfo("tenant_deleted").Field("tenant", name).Field("actor", actor.label);
  return absl::OkStatus();
}

absl::StatusOr<v1::PolicyVersion> PolicyWriter::PutPolicy(const PolicyWrite& write,
                                                          const store::Actor& actor) {
  RETURN_IF_ERROR(CheckPolicyWrite(write.tenant, write.comment));
  const v1::Policy& policy = *write.policy;
  const std::string serialized = SerializePolicy(policy);
  ResolvedWrite resolved;
  absl::Duration took;
  ASSIGN_OR_RETURN(store::PolicyRevisionRecord written,
                   WithRetries([&]() -> absl::StatusOr<store::PolicyRevisionRecord> {
                     OriginSetCache sets(store_);
                     ASSIGN_OR_RETURN(resolved, ResolveForWrite(policy, serialized, sets));
                     const absl::Time start = absl::Now();
                     absl::StatusOr<store::PolicyRevisionRecord> stored =
                         store_->PutPolicy(write.tenant, resolved.content, write.expected_revision,
                                           write.comment, actor);
                     took = absl::Now() - start;
                     return stored;
                   }));
  metrics_->store_write_duration.ObserveDuration(took);
  v1::PolicyVersion version =
      PublishPolicyWrite(written, policy, resolved.resolved ? &*resolved.resolved : nullptr,
                         resolved.compilation.policy);
  ops::LogInfo("policy_written")
      .Field("tenant", written.tenant)
      .Field("revision", written.revision)
      .Field("actor", actor.label)
      .Field("rules", policy.rules_size())
      .Field("origin_sets", static_cast<int64_t>(resolved.content.sets.size()))
      .Field("warnings", static_cast<int64_t>(resolved.compilation.diagnostics.warning_count))
      .Field("store_write", took);
  return version;
}

absl::StatusOr<v1::PolicyVersion> PolicyWriter::RollbackPolicy(const RollbackWrite& write,
                                                               const store::Actor& actor) {
  RETURN_IF_ERROR(CheckPolicyWrite(write.tenant, write.comment));
  if (write.to_revision < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("to_revision is ", write.to_revision, "; revisions start at 1"));
  }
  // Old content must still pass today's validation (e.g. after a
  // public-suffix list update), resolved against today's origin sets; never
  // roll back into a deny-all.
  v1::Policy old_policy;
  ResolvedWrite resolved;
  ASSIGN_OR_RETURN(store::PolicyRevisionRecord written,
                   WithRetries([&]() -> absl::StatusOr<store::PolicyRevisionRecord> {
                     ASSIGN_OR_RETURN(store::PolicyRevisionRecord old,
                                      store_->GetPolicyRevision(write.tenant, write.to_revision));
                     ASSIGN_OR_RETURN(old_policy, ParseStoredPolicy(old.policy));
                     OriginSetCache sets(store_);
                     ASSIGN_OR_RETURN(resolved,
                                      ResolveForWrite(old_policy, std::move(old.policy), sets));
                     const absl::Time start = absl::Now();
                     absl::StatusOr<store::PolicyRevisionRecord> stored =
                         store_->RollbackPolicy(write.tenant, write.to_revision, resolved.content,
                                                write.expected_revision, write.comment, actor);
                     metrics_->store_write_duration.ObserveDuration(absl::Now() - start);
                     return stored;
                   }));
  v1::PolicyVersion version =
      PublishPolicyWrite(written, old_policy, resolved.resolved ? &*resolved.resolved : nullptr,
                         resolved.compilation.policy);
  ops::LogInfo("policy_rolled_back")
      .Field("tenant", written.tenant)
      .Field("revision", written.revision)
      .Field("to_revision", write.to_revision)
      .Field("actor", actor.label);
  return version;
}

absl::StatusOr<v1::ShadowPolicy> PolicyWriter::PutShadowPolicy(const ShadowWrite& write,
                                                               const store::Actor& actor) {
  RETURN_IF_ERROR(CheckPolicyWrite(write.tenant, write.comment));
  const v1::Policy& policy = *write.policy;
  const std::string serialized = SerializePolicy(policy);
  ASSIGN_OR_RETURN(
      store::ShadowPolicyRecord written,
      WithRetries([&]() -> absl::StatusOr<store::ShadowPolicyRecord> {
        OriginSetCache sets(store_);
        ASSIGN_OR_RETURN(ResolvedWrite resolved, ResolveForWrite(policy, serialized, sets));
        const absl::Time start = absl::Now();
        absl::StatusOr<store::ShadowPolicyRecord> stored =
            store_->PutShadowPolicy(write.tenant, resolved.content, write.comment, actor);
        metrics_->store_write_duration.ObserveDuration(absl::Now() - start);
        return stored;
      }));
  PublishFromFeed();
  ops::LogInfo("shadow_policy_set")
      .Field("tenant", written.tenant)
      .Field("actor", actor.label)
      .Field("rules", policy.rules_size());
  v1::ShadowPolicy shadow;
  RETURN_IF_ERROR(ToShadowPolicyProto(written, &shadow));
  return shadow;
}

absl::Status PolicyWriter::DeleteShadowPolicy(absl::string_view tenant, const store::Actor& actor) {
  RETURN_IF_ERROR(engine::ValidateTenantName(tenant));
  RETURN_IF_ERROR(store_->DeleteShadowPolicy(tenant, actor));
  PublishFromFeed();
  ops::LogInfo("shadow_policy_cleared").Field("tenant", tenant).Field("actor", actor.label);
  return absl::OkStatus();
}

absl::StatusOr<v1::PolicyVersion> PolicyWriter::PromoteShadowPolicy(const PromoteWrite& write,
                                                                    const store::Actor& actor) {
  RETURN_IF_ERROR(CheckPolicyWrite(write.tenant, write.comment));
  // Like a rollback, the shadow must pass today's validation (and its own
  // tests) to become the policy; the store then promotes exactly this shadow,
  // with the resolved form it holds (kept current by origin-set changes).
  ASSIGN_OR_RETURN(store::ShadowPolicyRecord shadow, store_->GetShadowPolicy(write.tenant));
  ASSIGN_OR_RETURN(v1::Policy policy, ParseStoredPolicy(shadow.policy));
  OriginSetCache sets(store_);
  ASSIGN_OR_RETURN(ResolvedWrite resolved, ResolveForWrite(policy, shadow.policy, sets));
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(store::PolicyRevisionRecord written,
                   store_->PromoteShadowPolicy(write.tenant, write.expected_revision,
                                               shadow.updated_at, write.comment, actor));
  metrics_->store_write_duration.ObserveDuration(absl::Now() - start);
  // The new revision and the cleared shadow, together, from the feed.
  PublishFromFeed();
  ops::LogInfo("shadow_policy_promoted")
      .Field("tenant", written.tenant)
      .Field("revision", written.revision)
      .Field("actor", actor.label);
  v1::PolicyVersion version;
  RETURN_IF_ERROR(ToPolicyVersionProto(written, &version));
  return version;
}

}  // namespace corsd::server
