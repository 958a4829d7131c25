// AdminService: admission (authentication, authorization, denial audit) and
// the tenant RPCs. Policy and audit RPCs are in admin_policies.cc, the watch
// stream in admin_watch.cc.
#include "service/server/admin_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/engine/diagnostics.h"
#include "service/engine/tenant_names.h"
#include "service/ops/log.h"
#include "service/server/grpc_status.h"
#include "service/server/proto_records.h"

namespace corsd::server {
namespace {

std::string AuthorizationMetadata(grpc::ServerContextBase* context) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  return it == metadata.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

// CreateTenantRequest and UpdateTenantRequest carry the same fields.
template <typename Request>
TenantWrite ToTenantWrite(const Request& request) {
  return TenantWrite{.name = request.name(),
                     .hosts = {request.hosts().begin(), request.hosts().end()},
                     .description = request.description()};
}

}  // namespace

absl::StatusOr<Principal> AdminService::Admit(grpc::ServerContextBase* context,
                                              absl::string_view method, absl::string_view tenant,
                                              Permission permission) {
  absl::StatusOr<Principal> principal =
      authenticator_->Authenticate(AuthorizationMetadata(context));
  if (!principal.ok()) {
    if (principal.status().code() == absl::StatusCode::kUnauthenticated) {
      RecordDenied(context, method, tenant, "", principal.status());
    }
    return principal.status();
  }
  // Every call that names a tenant gets a well-formed name or nothing: no
  // handler, store query or error message ever sees a caller's megabytes.
  if (!tenant.empty()) RETURN_IF_ERROR(engine::ValidateTenantName(tenant));
  absl::Status allowed = Authorize(*principal, permission, tenant);
  if (!allowed.ok()) {
    RecordDenied(context, method, tenant, principal->label, allowed);
    return allowed;
  }
  return principal;
}

grpc::Status AdminService::Handle(grpc::ServerContextBase* context, absl::string_view method,
                                  absl::string_view tenant, Permission permission,
                                  const std::function<absl::Status(const Principal&)>& body) {
  absl::StatusOr<Principal> principal = Admit(context, method, tenant, permission);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  absl::Status status = body(*principal);
  if (!status.ok() && (status.code() == absl::StatusCode::kInternal ||
                       status.code() == absl::StatusCode::kDataLoss ||
                       status.code() == absl::StatusCode::kUnavailable)) {
    ops::LogError("admin_call_failed")
        .Field("method", method)
        .Field("tenant", tenant)
        .Field("actor", principal->label)
        .Field("code", absl::StatusCodeToString(status.code()))
        .Field("error", status.message());
  }
  return ToGrpcStatus(status);
}

void AdminService::RecordDenied(grpc::ServerContextBase* context, absl::string_view method,
                                absl::string_view raw_tenant, const std::string& actor,
                                const absl::Status& status) {
  metrics_->RecordAuthFailure(status.code());
  // A refused caller chooses this field: keep a name as it is, anything else
  // quoted, escaped and cut (a few dozen bytes), in the log and the audit row.
  const std::string tenant = engine::ValidateTenantName(raw_tenant).ok()
                                 ? std::string(raw_tenant)
                                 : engine::QuoteForMessage(raw_tenant);
  const std::string peer = context->peer();
  ops::LogWarning("admin_call_denied")
      .Field("method", method)
      .Field("tenant", tenant)
      .Field("actor", actor)
      .Field("peer", peer)
      .Field("code", absl::StatusCodeToString(status.code()));
  const RefusalAdmission admission = denied_audits_.Admit(PeerNetwork(peer), absl::Now());
  if (admission.unaudited_before > 0) {
    absl::Status recorded = store_->RecordAudit(
        {.time = absl::Now(),
         .actor = "corsd",
         .action = "RefusalsNotAudited",
         .detail = absl::StrCat(admission.unaudited_before,
                                " refused admin calls in an earlier second got no row of their "
                                "own (too many at once); each is in the log and in "
                                "corsd_auth_failures_total")});
    if (!recorded.ok()) ops::LogWarning("audit_write_failed").Field("error", recorded.message());
  }
  if (!admission.audit) return;  // logged and counted above
  absl::Status recorded = store_->RecordAudit(
      {.time = absl::Now(),
       .actor = actor,
       .action = absl::StrCat(method, ".denied"),
       .tenant = tenant,
       .detail = absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message())});
  if (!recorded.ok()) {
    ops::LogWarning("audit_write_failed").Field("error", recorded.message());
  }
}

grpc::Status AdminService::CreateTenant(grpc::ServerContext* context,
                                        const v1::CreateTenantRequest* request,
                                        v1::Tenant* response) {
  return Handle(context, "CreateTenant", request->name(), Permission::kAdmin,
                [&](const Principal& who) -> absl::Status {
                  ASSIGN_OR_RETURN(store::TenantRecord created,
                                   writer_->CreateTenant(ToTenantWrite(*request), {who.label}));
                  ToTenantProto(created, response);
                  return absl::OkStatus();
                });
}

grpc::Status AdminService::GetTenant(grpc::ServerContext* context,
                                     const v1::GetTenantRequest* request, v1::Tenant* response) {
  return Handle(context, "GetTenant", request->name(), Permission::kRead,
                [&](const Principal&) -> absl::Status {
                  ASSIGN_OR_RETURN(store::TenantRecord tenant, store_->GetTenant(request->name()));
                  ToTenantProto(tenant, response);
                  return absl::OkStatus();
                });
}

grpc::Status AdminService::ListTenants(grpc::ServerContext* context,
                                       const v1::ListTenantsRequest* request,
                                       v1::ListTenantsResponse* response) {
  return Handle(context, "ListTenants", "", Permission::kAnyToken,
                [&](const Principal& who) -> absl::Status {
                  if (!who.tenant.empty() && who.role != store::Role::kAdmin) {
                    // A tenant-bound token sees its own tenant only.
                    absl::StatusOr<store::TenantRecord> own = store_->GetTenant(who.tenant);
                    if (own.ok()) ToTenantProto(*own, response->add_tenants());
                    return own.status().code() == absl::StatusCode::kNotFound ? absl::OkStatus()
                                                                              : own.status();
                  }
                  ASSIGN_OR_RETURN(store::Page<store::TenantRecord> page,
                                   store_->ListTenants({.page_size = request->page_size(),
                                                        .page_token = request->page_token()}));
                  for (const store::TenantRecord& t : page.items) {
                    ToTenantProto(t, response->add_tenants());
                  }
                  response->set_next_page_token(page.next_page_token);
                  return absl::OkStatus();
                });
}

grpc::Status AdminService::UpdateTenant(grpc::ServerContext* context,
                                        const v1::UpdateTenantRequest* request,
                                        v1::Tenant* response) {
  return Handle(context, "UpdateTenant", request->name(), Permission::kWrite,
                [&](const Principal& who) -> absl::Status {
                  ASSIGN_OR_RETURN(store::TenantRecord updated,
                                   writer_->UpdateTenant(ToTenantWrite(*request), {who.label}));
                  ToTenantProto(updated, response);
                  return absl::OkStatus();
                });
}

grpc::Status AdminService::DeleteTenant(grpc::ServerContext* context,
                                        const v1::DeleteTenantRequest* request,
                                        google::protobuf::Empty*) {
  return Handle(context, "DeleteTenant", request->name(), Permission::kAdmin,
                [&](const Principal& who) -> absl::Status {
                  return writer_->DeleteTenant(request->name(), {who.label});
                });
}

}  // namespace corsd::server
