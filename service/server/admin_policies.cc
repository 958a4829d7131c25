// AdminService: policy and audit RPCs.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/convert/policy_convert.h"
#include "service/engine/policy_compiler.h"
#include "service/ops/log.h"
#include "service/server/admin_service.h"
#include "service/server/grpc_status.h"
#include "service/server/proto_records.h"
#include "service/store/tenant_names.h"

namespace corsd::server {
namespace {

absl::Status CheckComment(const std::string& comment) {
  if (comment.size() <= store::kMaxCommentBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("comment is longer than ", store::kMaxCommentBytes, " bytes"));
}

}  // namespace

grpc::Status AdminService::GetPolicy(grpc::ServerContext* context,
                                     const v1::GetPolicyRequest* request,
                                     v1::PolicyVersion* response) {
  return Handle(context, "GetPolicy", request->tenant(), Access::kRead,
                [&](const Principal&) -> absl::Status {
                  ASSIGN_OR_RETURN(store::PolicyRevisionRecord record,
                                   store_->GetPolicy(request->tenant()));
                  return ToPolicyVersionProto(record, response);
                });
}

grpc::Status AdminService::PutPolicy(grpc::ServerContext* context,
                                     const v1::PutPolicyRequest* request,
                                     v1::PolicyVersion* response) {
  return Handle(
      context, "PutPolicy", request->tenant(), Access::kWrite,
      [&](const Principal& who) -> absl::Status {
        RETURN_IF_ERROR(store::ValidateTenantName(request->tenant()));
        RETURN_IF_ERROR(CheckComment(request->comment()));
        engine::PolicyCompilation compiled =
            engine::CompilePolicy(ToPolicySpec(request->policy()), 0);
        if (!compiled.diagnostics.ok()) return InvalidPolicyStatus(compiled.diagnostics);

        const absl::Time start = absl::Now();
        std::optional<int64_t> expected;
        if (request->has_expected_revision()) expected = request->expected_revision();
        ASSIGN_OR_RETURN(store::PolicyRevisionRecord written,
                         store_->PutPolicy(request->tenant(), SerializePolicy(request->policy()),
                                           expected, request->comment(), {who.label}));
        const absl::Duration took = absl::Now() - start;
        metrics_->store_write_duration.ObserveDuration(took);
        sync_->RememberCompiled(written.tenant, compiled.policy->WithRevision(written.revision));
        PublishWrite();
        ops::LogInfo("policy_written")
            .Field("tenant", written.tenant)
            .Field("revision", written.revision)
            .Field("actor", who.label)
            .Field("rules", request->policy().rules_size())
            .Field("warnings", static_cast<int64_t>(compiled.diagnostics.warning_count))
            .Field("store_write", took);
        return ToPolicyVersionProto(written, response);
      });
}

grpc::Status AdminService::ValidatePolicy(grpc::ServerContext* context,
                                          const v1::ValidatePolicyRequest* request,
                                          v1::ValidatePolicyResponse* response) {
  return Handle(context, "ValidatePolicy", "", Access::kAnyToken,
                [&](const Principal&) -> absl::Status {
                  engine::PolicyDiagnostics diagnostics =
                      engine::ValidatePolicy(ToPolicySpec(request->policy()));
                  AppendDiagnostics(diagnostics, response);
                  return absl::OkStatus();
                });
}

grpc::Status AdminService::ListPolicyRevisions(grpc::ServerContext* context,
                                               const v1::ListPolicyRevisionsRequest* request,
                                               v1::ListPolicyRevisionsResponse* response) {
  return Handle(context, "ListPolicyRevisions", request->tenant(), Access::kRead,
                [&](const Principal&) -> absl::Status {
                  ASSIGN_OR_RETURN(store::Page<store::PolicyRevisionRecord> page,
                                   store_->ListPolicyRevisions(
                                       request->tenant(), {.page_size = request->page_size(),
                                                           .page_token = request->page_token()}));
                  for (const store::PolicyRevisionRecord& record : page.items) {
                    RETURN_IF_ERROR(ToPolicyVersionProto(record, response->add_revisions()));
                  }
                  response->set_next_page_token(page.next_page_token);
                  return absl::OkStatus();
                });
}

grpc::Status AdminService::RollbackPolicy(grpc::ServerContext* context,
                                          const v1::RollbackPolicyRequest* request,
                                          v1::PolicyVersion* response) {
  return Handle(
      context, "RollbackPolicy", request->tenant(), Access::kWrite,
      [&](const Principal& who) -> absl::Status {
        RETURN_IF_ERROR(store::ValidateTenantName(request->tenant()));
        RETURN_IF_ERROR(CheckComment(request->comment()));
        if (request->to_revision() < 1) {
          return absl::InvalidArgumentError(
              absl::StrCat("to_revision is ", request->to_revision(), "; revisions start at 1"));
        }
        // Old content must still pass today's validation (e.g. after a
        // public-suffix list update); never roll back into a deny-all.
        ASSIGN_OR_RETURN(store::PolicyRevisionRecord old,
                         store_->GetPolicyRevision(request->tenant(), request->to_revision()));
        ASSIGN_OR_RETURN(v1::Policy old_policy, ParseStoredPolicy(old.policy));
        engine::PolicyCompilation compiled = engine::CompilePolicy(ToPolicySpec(old_policy), 0);
        if (!compiled.diagnostics.ok()) return InvalidPolicyStatus(compiled.diagnostics);

        std::optional<int64_t> expected;
        if (request->has_expected_revision()) expected = request->expected_revision();
        const absl::Time start = absl::Now();
        ASSIGN_OR_RETURN(store::PolicyRevisionRecord written,
                         store_->RollbackPolicy(request->tenant(), request->to_revision(), expected,
                                                request->comment(), {who.label}));
        metrics_->store_write_duration.ObserveDuration(absl::Now() - start);
        if (written.policy == old.policy) {
          sync_->RememberCompiled(written.tenant, compiled.policy->WithRevision(written.revision));
        }
        PublishWrite();
        ops::LogInfo("policy_rolled_back")
            .Field("tenant", written.tenant)
            .Field("revision", written.revision)
            .Field("to_revision", request->to_revision())
            .Field("actor", who.label);
        return ToPolicyVersionProto(written, response);
      });
}

grpc::Status AdminService::ListAuditEvents(grpc::ServerContext* context,
                                           const v1::ListAuditEventsRequest* request,
                                           v1::ListAuditEventsResponse* response) {
  // With a tenant: needs read access to it. Without: every tenant for
  // unscoped tokens, the token's own tenant otherwise.
  const Access access = request->tenant().empty() ? Access::kAnyToken : Access::kRead;
  return Handle(context, "ListAuditEvents", request->tenant(), access,
                [&](const Principal& who) -> absl::Status {
                  std::string tenant = request->tenant();
                  if (tenant.empty() && who.role != store::Role::kAdmin) tenant = who.tenant;
                  ASSIGN_OR_RETURN(
                      store::Page<store::AuditRecord> page,
                      store_->ListAuditEvents(tenant, {.page_size = request->page_size(),
                                                       .page_token = request->page_token()}));
                  for (const store::AuditRecord& event : page.items) {
                    ToAuditEventProto(event, response->add_events());
                  }
                  response->set_next_page_token(page.next_page_token);
                  return absl::OkStatus();
                });
}

}  // namespace corsd::server
