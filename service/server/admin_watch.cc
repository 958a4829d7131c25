// AdminService: WatchPolicies.
#include <grpcpp/support/slice.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/ops/log.h"
#include "service/server/admin_service.h"
#include "service/server/grpc_status.h"
#include "service/server/watch_reactor.h"

namespace corsd::server {

grpc::ServerWriteReactor<grpc::ByteBuffer>* AdminService::WatchPolicies(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes) {
  v1::WatchPoliciesRequest request;
  grpc::Slice flat;
  if (!request_bytes->DumpToSingleSlice(&flat).ok() ||
      !request.ParseFromArray(flat.begin(), static_cast<int>(flat.size()))) {
    return new WatchReactor(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                         "request is not a valid corsd.v1.WatchPoliciesRequest"));
  }
  std::vector<std::string> tenants(request.tenants().begin(), request.tenants().end());
  absl::StatusOr<Principal> principal = Admit(context, "WatchPolicies", "", Permission::kAnyToken);
  if (!principal.ok()) return new WatchReactor(ToGrpcStatus(principal.status()));
  if (tenants.empty() && !principal->tenant.empty() && principal->role != store::Role::kAdmin) {
    tenants.push_back(principal->tenant);  // "everything" this token may see
  }
  for (const std::string& tenant : tenants) {
    if (absl::Status s = Authorize(*principal, Permission::kRead, tenant); !s.ok()) {
      RecordDenied(context, "WatchPolicies", tenant, principal->label, s);
      return new WatchReactor(ToGrpcStatus(s));
    }
  }
  ops::LogInfo("watch_started")
      .Field("actor", principal->label)
      .Field("tenants", tenants.empty() ? std::string("*") : absl::StrJoin(tenants, ","))
      .Field("peer", context->peer());
  return new WatchReactor(context, hub_, tenants, principal->token_id);
}

}  // namespace corsd::server
