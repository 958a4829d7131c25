#include "service/server/proto_records.h"

#include "service/common/status_macros.h"
#include "service/convert/policy_convert.h"

namespace corsd::server {

void ToTenantProto(const store::TenantRecord& record, v1::Tenant* out) {
  out->set_name(record.name);
  for (const std::string& host : record.hosts) out->add_hosts(host);
  out->set_description(record.description);
  ToTimestamp(record.created_at, out->mutable_created_at());
  out->set_policy_revision(record.policy_revision);
}

namespace {

void SetRevisionFields(const store::PolicyRevisionRecord& record, v1::PolicyVersion* out) {
  out->set_tenant(record.tenant);
  out->set_revision(record.revision);
  ToTimestamp(record.updated_at, out->mutable_updated_at());
  out->set_updated_by(record.updated_by);
  out->set_comment(record.comment);
}

}  // namespace

absl::Status ToPolicyVersionProto(const store::PolicyRevisionRecord& record,
                                  v1::PolicyVersion* out) {
  ASSIGN_OR_RETURN(*out->mutable_policy(), ParseStoredPolicy(record.policy));
  if (!record.resolved_policy.empty()) {
    ASSIGN_OR_RETURN(*out->mutable_resolved_policy(), ParseStoredPolicy(record.resolved_policy));
  }
  SetRevisionFields(record, out);
  return absl::OkStatus();
}

v1::PolicyVersion ToPolicyVersionProto(const store::PolicyRevisionRecord& record,
                                       const v1::Policy& policy, const v1::Policy* resolved) {
  v1::PolicyVersion out;
  *out.mutable_policy() = policy;
  out.mutable_policy()->DiscardUnknownFields();  // as SerializePolicy stored it
  if (resolved != nullptr) {
    *out.mutable_resolved_policy() = *resolved;
    out.mutable_resolved_policy()->DiscardUnknownFields();
  }
  SetRevisionFields(record, &out);
  return out;
}

absl::Status ToShadowPolicyProto(const store::ShadowPolicyRecord& record, v1::ShadowPolicy* out) {
  ASSIGN_OR_RETURN(*out->mutable_policy(), ParseStoredPolicy(record.policy));
  if (!record.resolved_policy.empty()) {
    ASSIGN_OR_RETURN(*out->mutable_resolved_policy(), ParseStoredPolicy(record.resolved_policy));
  }
  out->set_tenant(record.tenant);
  out->set_comment(record.comment);
  ToTimestamp(record.updated_at, out->mutable_updated_at());
  out->set_updated_by(record.updated_by);
  return absl::OkStatus();
}

void ToOriginSetProto(const store::OriginSetRecord& record, v1::OriginSet* out) {
  out->set_name(record.name);
  out->mutable_origins()->Assign(record.origins.begin(), record.origins.end());
  out->set_description(record.description);
  out->set_revision(record.revision);
  ToTimestamp(record.updated_at, out->mutable_updated_at());
  out->set_updated_by(record.updated_by);
}

void ToAuditEventProto(const store::AuditRecord& record, v1::AuditEvent* out) {
  ToTimestamp(record.time, out->mutable_time());
  out->set_actor(record.actor);
  out->set_action(record.action);
  out->set_tenant(record.tenant);
  out->set_revision(record.revision);
  out->set_detail(record.detail);
  out->set_id(record.id);
}

}  // namespace corsd::server
