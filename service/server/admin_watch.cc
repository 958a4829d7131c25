// AdminService: WatchPolicies.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/ops/log.h"
#include "service/server/admin_service.h"
#include "service/server/grpc_status.h"
#include "service/server/watch_reactor.h"

namespace corsd::server {

grpc::ServerWriteReactor<v1::PolicyEvent>* AdminService::WatchPolicies(
    grpc::CallbackServerContext* context, const v1::WatchPoliciesRequest* request) {
  std::vector<std::string> tenants(request->tenants().begin(), request->tenants().end());
  absl::StatusOr<Principal> principal = Admit(context, "WatchPolicies", "", Access::kAnyToken);
  if (!principal.ok()) return new WatchReactor(ToGrpcStatus(principal.status()));
  if (tenants.empty() && !principal->tenant.empty() && principal->role != store::Role::kAdmin) {
    tenants.push_back(principal->tenant);  // "everything" this token may see
  }
  for (const std::string& tenant : tenants) {
    if (absl::Status s = Authorize(*principal, Permission::kRead, tenant); !s.ok()) {
      RecordDenied("WatchPolicies", tenant, principal->label, s);
      return new WatchReactor(ToGrpcStatus(s));
    }
  }
  ops::LogInfo("watch_started")
      .Field("actor", principal->label)
      .Field("tenants", tenants.empty() ? std::string("*") : absl::StrJoin(tenants, ","))
      .Field("peer", context->peer());
  return new WatchReactor(context, hub_, tenants);
}

}  // namespace corsd::server
