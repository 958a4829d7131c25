// AdminService: policy and audit RPCs.
#include "service/common/status_macros.h"
#include "service/convert/policy_convert.h"
#include "service/engine/policy_compiler.h"
#include "service/engine/tenant_names.h"
#include "service/server/admin_service.h"
#include "service/server/grpc_status.h"
#include "service/server/policy_resolver.h"
#include "service/server/proto_records.h"

namespace corsd::server {

grpc::Status AdminService::GetPolicy(grpc::ServerContext* context,
                                     const v1::GetPolicyRequest* request,
                                     v1::PolicyVersion* response) {
  return Handle(context, "GetPolicy", request->tenant(), Permission::kRead,
                [&](const Principal&) -> absl::Status {
                  ASSIGN_OR_RETURN(store::PolicyRevisionRecord record,
                                   store_->GetPolicy(request->tenant()));
                  return ToPolicyVersionProto(record, response);
                });
}

grpc::Status AdminService::PutPolicy(grpc::ServerContext* context,
                                     const v1::PutPolicyRequest* request,
                                     v1::PolicyVersion* response) {
  return Handle(context, "PutPolicy", request->tenant(), Permission::kWrite,
                [&](const Principal& who) -> absl::Status {
                  PolicyWrite write{.tenant = request->tenant(),
                                    .policy = &request->policy(),
                                    .comment = request->comment()};
                  if (request->has_expected_revision()) {
                    write.expected_revision = request->expected_revision();
                  }
                  ASSIGN_OR_RETURN(*response, writer_->PutPolicy(write, {who.label}));
                  return absl::OkStatus();
                });
}

grpc::Status AdminService::ValidatePolicy(grpc::ServerContext* context,
                                          const v1::ValidatePolicyRequest* request,
                                          v1::ValidatePolicyResponse* response) {
  return Handle(
      context, "ValidatePolicy", "", Permission::kAnyToken, [&](const Principal&) -> absl::Status {
        // The caller's own sets first, then the stored ones.
        absl::flat_hash_map<std::string, store::OriginSetRecord> given;
        for (const v1::OriginSet& set : request->origin_sets()) {
          RETURN_IF_ERROR(engine::ValidateOriginSetName(set.name()));
          given[set.name()] = {.name = set.name(),
                               .origins = {set.origins().begin(), set.origins().end()}};
        }
        OriginSetCache sets(store_, &given);
        ResolvedCompilation compiled = CompileWithOriginSets(
            request->policy(), [&sets](absl::string_view name) { return sets.Find(name); });
        RETURN_IF_ERROR(sets.status());
        CheckStoredSize(request->policy().ByteSizeLong(),
                        compiled.resolution.resolved.has_value()
                            ? compiled.resolution.resolved->ByteSizeLong()
                            : 0,
                        "policy", &compiled.compilation.diagnostics);
        AppendDiagnostics(compiled.compilation.diagnostics, response);
        return absl::OkStatus();
      });
}

grpc::Status AdminService::ListPolicyRevisions(grpc::ServerContext* context,
                                               const v1::ListPolicyRevisionsRequest* request,
                                               v1::ListPolicyRevisionsResponse* response) {
  return Handle(context, "ListPolicyRevisions", request->tenant(), Permission::kRead,
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
  return Handle(context, "RollbackPolicy", request->tenant(), Permission::kWrite,
                [&](const Principal& who) -> absl::Status {
                  RollbackWrite write{.tenant = request->tenant(),
                                      .to_revision = request->to_revision(),
                                      .comment = request->comment()};
                  if (request->has_expected_revision()) {
                    write.expected_revision = request->expected_revision();
                  }
                  ASSIGN_OR_RETURN(*response, writer_->RollbackPolicy(write, {who.label}));
                  return absl::OkStatus();
                });
}

grpc::Status AdminService::ListAuditEvents(grpc::ServerContext* context,
                                           const v1::ListAuditEventsRequest* request,
                                           v1::ListAuditEventsResponse* response) {
  // With a tenant: needs read access to it. Without: every tenant for
  // unscoped tokens, the token's own tenant otherwise.
  const Permission permission =
      request->tenant().empty() ? Permission::kAnyToken : Permission::kRead;
  return Handle(context, "ListAuditEvents", request->tenant(), permission,
                [&](const Principal& who) -> absl::Status {
                  std::string tenant = request->tenant();
                  if (tenant.empty() && who.role != store::Role::kAdmin) tenant = who.tenant;
                  const store::PageRequest page_request{.page_size = request->page_size(),
                                                        .page_token = request->page_token()};
                  // A tenant-bound token reads its own tenant's life only,
                  // not that of an earlier tenant with the same name.
                  ASSIGN_OR_RETURN(
                      store::Page<store::AuditRecord> page,
                      who.tenant.empty()
                          ? store_->ListAuditEvents(tenant, page_request)
                          : store_->ListCurrentTenantAuditEvents(tenant, page_request));
                  for (const store::AuditRecord& event : page.items) {
                    ToAuditEventProto(event, response->add_events());
                  }
                  response->set_next_page_token(page.next_page_token);
                  return absl::OkStatus();
                });
}

}  // namespace corsd::server
